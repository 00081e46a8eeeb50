"""payload_namespace: one namespace per type and MAJOR version."""

from __future__ import annotations

import pytest

from schemas import DSIG_NS, ENVELOPE_NS, payload_namespace


def test_constants() -> None:
    assert ENVELOPE_NS == "urn:family-hub:envelope:1"
    assert DSIG_NS == "http://www.w3.org/2000/09/xmldsig#"


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.0", "urn:family-hub:msg:FamilyReferral:1"),
        ("1.1", "urn:family-hub:msg:FamilyReferral:1"),
        ("2.0", "urn:family-hub:msg:FamilyReferral:2"),
        ("10.3", "urn:family-hub:msg:FamilyReferral:10"),
    ],
)
def test_minor_versions_share_the_major_namespace(version: str, expected: str) -> None:
    assert payload_namespace("FamilyReferral", version) == expected


@pytest.mark.parametrize("version", ["1", "v1.0", "1.0.0", "", "1.x"])
def test_malformed_version_is_a_programming_error(version: str) -> None:
    with pytest.raises(ValueError, match="major"):
        payload_namespace("FamilyReferral", version)
