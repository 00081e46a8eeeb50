"""The README's package table matches the tree: every package is described, nothing more."""

import re
from pathlib import Path

from tooling.layering import OUR_PACKAGES

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _table_after(heading: str) -> list[str]:
    """The rows of the first Markdown table after ``heading``."""
    rest = README[README.index(heading) :]
    rows = re.search(r"^\|.*\|\n\|[-| ]+\|\n((?:\|.*\|\n)+)", rest, re.MULTILINE)
    assert rows is not None, f"no table after {heading!r}"
    return rows[1].splitlines()


PACKAGE_ROWS = {
    match[1]: match[2]
    for row in _table_after("| package | what it is |")
    if (match := re.match(r"\| `([a-z_/]+)/` \| (.*) \|$", row))
}
PARTNER_CODES = {
    match[1]
    for row in _table_after("## Partner systems")
    if (match := re.match(r"\| `([a-z_]+)` \|", row))
}


def _subpackages(package: str) -> set[str]:
    return {p.parent.name for p in (ROOT / package).glob("*/__init__.py")}


def test_every_package_has_a_row_and_every_row_a_package() -> None:
    expected = {*OUR_PACKAGES, *(f"hub/{name}" for name in _subpackages("hub"))}
    expected |= {f"schemas/{name}" for name in _subpackages("schemas")}
    assert set(PACKAGE_ROWS) == expected


def test_other_subpackages_are_named_in_their_packages_row() -> None:
    for package in ("tooling", "queues"):
        row = PACKAGE_ROWS[package]
        assert [n for n in sorted(_subpackages(package)) if f"`{n}/`" not in row] == []


def test_every_partner_adapter_is_in_the_partner_table() -> None:
    # adapters/kit is the partners' own tooling (signing, conformance), not a partner system.
    assert _subpackages("adapters") == PARTNER_CODES | {"kit"}
    assert "`kit/`" in PACKAGE_ROWS["adapters"]
