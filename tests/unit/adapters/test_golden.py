"""Golden files: native in → canonical out (valid against the XSDs), canonical → native back."""

from collections.abc import Callable
from types import ModuleType

import pytest
from lxml import etree

import schemas
from tests.unit.adapters import golden


@pytest.mark.parametrize(
    ("code", "name", "module", "message_id"),
    golden.TO_CANONICAL,
    ids=[f"{code}-{name}" for code, name, _, _ in golden.TO_CANONICAL],
)
def test_native_record_translates_to_the_golden_envelope(
    code: str, name: str, module: ModuleType, message_id: str
) -> None:
    envelope = module.to_canonical(golden.native(code, name), message_id=message_id, now=golden.NOW)

    expected = (golden.NATIVE / code / f"{name}.xml").read_bytes()
    assert golden.canonical_text(envelope) == golden.canonical_text(expected)
    # The same bytes the hub would see: serialised, safely re-parsed, validated.
    reparsed = schemas.parse_xml(etree.tostring(envelope))
    schemas.validate_envelope(reparsed)
    schemas.validate_payload(reparsed, schemas.read_header(reparsed))


@pytest.mark.parametrize(
    ("code", "name", "module", "message_id"),
    golden.TO_CANONICAL,
    ids=[f"{code}-{name}" for code, name, _, _ in golden.TO_CANONICAL],
)
def test_golden_envelope_translates_back_to_the_native_record(
    code: str, name: str, module: ModuleType, message_id: str
) -> None:
    record = module.from_canonical(
        etree.fromstring((golden.NATIVE / code / f"{name}.xml").read_bytes())
    )

    record.pop("hub", None)
    if code == "police":
        assert record.pop("kind") == "referral"
    assert record == golden.native(code, name)


@pytest.mark.parametrize(
    ("code", "module"), golden.FROM_CANONICAL, ids=[c for c, _ in golden.FROM_CANONICAL]
)
def test_referral_reaches_each_recipient_as_its_golden_native_record(
    code: str, module: ModuleType
) -> None:
    assert module.from_canonical(golden.referral_envelope()) == golden.native(
        code, "referral_received"
    )


@pytest.mark.parametrize(
    ("code", "name", "translate"),
    golden.OTHER_TO_CANONICAL,
    ids=[f"{code}-{name}" for code, name, _ in golden.OTHER_TO_CANONICAL],
)
def test_answers_and_decisions_translate_to_their_golden_envelopes(
    code: str, name: str, translate: Callable[..., etree._Element]
) -> None:
    envelope = translate(golden.native(code, name), message_id=golden.REPLY_ID, now=golden.NOW)

    assert golden.canonical_text(envelope) == golden.canonical_text(
        (golden.NATIVE / code / f"{name}.xml").read_bytes()
    )
    reparsed = schemas.parse_xml(etree.tostring(envelope))
    schemas.validate_envelope(reparsed)
    schemas.validate_payload(reparsed, schemas.read_header(reparsed))


@pytest.mark.parametrize(
    ("code", "name", "source", "module"),
    golden.DELIVERED,
    ids=[f"{s[0]}-{s[1]}-to-{code}" for code, _, s, _ in golden.DELIVERED],
)
def test_lifecycle_messages_reach_each_recipient_as_its_golden_record(
    code: str, name: str, source: tuple[str, str], module: ModuleType
) -> None:
    assert module.from_canonical(golden.envelope(*source)) == golden.native(code, name)
