"""Every Markdown file a comment, docstring or document names is in the repository.

Code comments cite documents for a measured fact or a library trap. A document that lives
outside the repository (notes beside the checkout, a path leaving it with ``..``) is not
shipped, so a reader of the code cannot follow the reference. This scans our packages,
tests, pyproject.toml, the Makefile and the Markdown documents for names ending in
``.md`` and requires each to exist, relative to the repository root or to the citing file.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Where references are looked for: folders (walked) and single files.
SCANNED_FOLDERS = ("adapters", "hub", "queues", "schemas", "signing", "tooling", "tests", "docs")
SCANNED_FILES = ("pyproject.toml", "Makefile", "README.md", "CONTRIBUTING.md")
#: Text files in those folders; data files (XML samples, JSON runs, SVG) cite nothing.
SCANNED_SUFFIXES = frozenset({".py", ".md", ".toml", ".yaml", ".yml", ".txt", ".cfg", ".ini"})

#: A path ending in .md, not part of a URL or of a longer name; it may start with ``../``.
REFERENCE = re.compile(r"(?<![\w/.:-])((?:\.\./)*[\w-][\w./-]*\.md)(?![\w-])")


def scanned_files() -> Iterator[Path]:
    for name in SCANNED_FILES:
        yield ROOT / name
    for folder in SCANNED_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*")):
            if (
                path.is_file()
                and path.suffix in SCANNED_SUFFIXES
                and "__pycache__" not in path.parts
            ):
                yield path


def dangling_references(path: Path) -> list[str]:
    """``line: reference`` for each .md reference in ``path`` that names no file of the repo."""
    found = []
    text = path.read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        for reference in REFERENCE.findall(line):
            if not _is_in_repository(reference, citing=path):
                found.append(f"{number}: {reference}")
    return found


def _is_in_repository(reference: str, *, citing: Path) -> bool:
    for base in (ROOT, citing.parent):
        target = (base / reference).resolve()
        if target.is_relative_to(ROOT) and target.is_file():
            return True
    return False


@pytest.mark.parametrize("path", list(scanned_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_cited_document_is_in_the_repository(path: Path) -> None:
    assert dangling_references(path) == [], f"{path.relative_to(ROOT)} cites files not in the repo"


#: Spelled apart where a name is relative to docs/, or missing, so that this file, scanned
#: like any other, does not cite them itself.
MD = ".md"


@pytest.mark.parametrize(
    ("line", "dangling"),
    [
        ("# Grouped by concept (CONTRIBUTING.md).", []),
        ("see docs/performance.md and docs/xml-security.md", []),
        (f"[the page](performance{MD}), a sibling of the citing file", []),
        (f"[the README](../README{MD}), up from the citing file", []),
        (f"see NOTES-ELSEWHERE{MD}", [f"NOTES-ELSEWHERE{MD}"]),
        (f"# (see ../shared/NOTES{MD})", [f"../shared/NOTES{MD}"]),
        (f"docs/missing-page{MD}", [f"docs/missing-page{MD}"]),
        ("https://example.org/guide/README.md is a URL, not a file of ours", []),
        ("a file named notes.mdx or config.md5 is not Markdown", []),
    ],
)
def test_the_scan_tells_present_from_missing(line: str, dangling: list[str]) -> None:
    # The citing file sits in docs/, so a name may be relative to that folder.
    citing = ROOT / "docs" / f"citing{MD}"
    found = [r for r in REFERENCE.findall(line) if not _is_in_repository(r, citing=citing)]
    assert found == dangling
