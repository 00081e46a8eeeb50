"""The rejection catalogue stays complete: mapped, documented and provoked by a test."""

from pathlib import Path
from typing import TypeVar

import pytest

import schemas
import signing
from hub.errors import REJECTION_CODES, Rejection
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
    missing = [code for code in REJECTION_CODES if f"`{code}`" not in readme]
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
