"""The rejection catalogue stays complete: mapped, documented and provoked by a test."""

import re
from pathlib import Path
from typing import TypeVar

import pytest

import schemas
import signing
from hub.api.codes import DEFAULT_PATH, render_codes_markdown
from hub.errors import CASE_CONFLICT_CODES, CODES, REJECTION_CODES, Rejection
from hub.ingest.rejections import rejection_from

ROOT = Path(__file__).resolve().parents[2]
E = TypeVar("E", bound=Exception)


def _subclasses(base: type[E]) -> list[type[E]]:
    found = []
    for cls in base.__subclasses__():
        found.append(cls)
        found.extend(_subclasses(cls))
    return found


#: Errors that are raised carry their own reason; grouping bases do not.
RAISED = [
    c
    for c in _subclasses(signing.SigningError) + _subclasses(schemas.SchemaError)
    if "reason" in c.__dict__
]


def test_the_layers_raise_a_known_set_of_errors() -> None:
    assert len(RAISED) >= 17  # 8 signing + 9 schemas reasons; a new one must be mapped here


@pytest.mark.parametrize("error_class", RAISED, ids=lambda c: c.__name__)
def test_every_error_of_the_xml_and_signature_layers_has_a_code(
    error_class: type[signing.SigningError | schemas.SchemaError],
) -> None:
    error = error_class.__new__(error_class)
    Exception.__init__(error, "x")
    rejection = rejection_from(error)
    assert rejection.code in REJECTION_CODES


def test_every_code_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [code for code in CODES if f"`{code}`" not in readme]
    assert missing == []


def test_every_code_is_provoked_by_some_test() -> None:
    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (ROOT / "tests").rglob("test_*.py")
        if path.name != Path(__file__).name
    )
    untested = [code for code in REJECTION_CODES if f'"{code}"' not in sources]
    assert untested == []


def test_an_unknown_code_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown rejection code"):
        Rejection("made.up")


def test_the_case_tracker_reports_exactly_the_catalogued_conflicts() -> None:
    projection = (ROOT / "hub" / "cases" / "projection.py").read_text(encoding="utf-8")
    raised = set(re.findall(r'"(case\.[a-z_]+)"', projection))
    assert raised == CASE_CONFLICT_CODES.keys()


def test_codes_are_stage_dot_reason_and_conflicts_come_with_an_acceptance() -> None:
    assert all(re.fullmatch(r"[a-z]+\.[a-z_]+", code) for code in CODES)
    assert {kind.status for kind in CASE_CONFLICT_CODES.values()} == {202}
    assert all(kind.status >= 400 for kind in REJECTION_CODES.values())


def test_the_partners_code_reference_is_current() -> None:
    # Regenerate with: python -m hub.api.codes
    written = (ROOT / DEFAULT_PATH).read_text(encoding="utf-8")
    assert written == render_codes_markdown()
    assert all(f"`{code}`" in written for code in CODES)
