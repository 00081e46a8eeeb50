"""Error classes: stable reasons and the documented tree."""

from __future__ import annotations

import pytest

import schemas
from schemas import (
    EnvelopeInvalid,
    PayloadInvalid,
    SchemaError,
    SchemaInvalid,
    UnknownMessageType,
    UnsupportedVersion,
    XmlForbidden,
    XmlMalformed,
    XmlRejected,
    XmlTooComplex,
    XmlTooDeep,
    XmlTooLarge,
)

REASONS = {
    XmlTooLarge: "too_large",
    XmlMalformed: "malformed",
    XmlTooDeep: "too_deep",
    XmlTooComplex: "too_complex",
    XmlForbidden: "forbidden_construct",
    EnvelopeInvalid: "envelope_invalid",
    PayloadInvalid: "payload_invalid",
    UnknownMessageType: "unknown_type",
    UnsupportedVersion: "unsupported_version",
}


@pytest.mark.parametrize(("error", "reason"), REASONS.items())
def test_reasons_are_stable(error: type[SchemaError], reason: str) -> None:
    assert error.reason == reason
    assert issubclass(error, SchemaError)


def test_tree() -> None:
    rejections: tuple[type[SchemaError], ...] = (
        XmlTooLarge,
        XmlMalformed,
        XmlTooDeep,
        XmlTooComplex,
        XmlForbidden,
    )
    assert all(issubclass(error, XmlRejected) for error in rejections)
    assert issubclass(EnvelopeInvalid, SchemaInvalid)
    assert issubclass(PayloadInvalid, SchemaInvalid)
    assert not issubclass(UnknownMessageType, XmlRejected | SchemaInvalid)


def test_exports_are_complete() -> None:
    assert len(schemas.__all__) == len(set(schemas.__all__))
    for name in schemas.__all__:
        assert getattr(schemas, name) is not None
    exported_errors = {
        name
        for name in schemas.__all__
        if isinstance(getattr(schemas, name), type)
        and issubclass(getattr(schemas, name), SchemaError)
    }
    assert exported_errors == {error.__name__ for error in REASONS} | {
        "SchemaError",
        "XmlRejected",
        "SchemaInvalid",
    }
