"""validate_envelope / validate_payload: the XSD stages of ingest."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import etree

from schemas import (
    DSIG_NS,
    EnvelopeInvalid,
    PayloadInvalid,
    UnknownMessageType,
    UnsupportedVersion,
    known_schemas,
    parse_xml,
    payload_of,
    read_header,
    validate_envelope,
    validate_payload,
)

COMMON = "{urn:family-hub:common:1}"
REFERRAL = "{urn:family-hub:msg:FamilyReferral:1}"

LoadSample = Callable[[str, str], bytes]


def envelope_invalid(raw: bytes) -> EnvelopeInvalid:
    """Parse ``raw`` and return the EnvelopeInvalid that validation raises."""
    with pytest.raises(EnvelopeInvalid) as caught:
        validate_envelope(parse_xml(raw))
    assert caught.value.reason == "envelope_invalid"
    return caught.value


def payload_invalid(envelope: etree._Element) -> PayloadInvalid:
    """Validate an envelope's payload and return the PayloadInvalid raised."""
    validate_envelope(envelope)
    with pytest.raises(PayloadInvalid) as caught:
        validate_payload(envelope, read_header(envelope))
    assert caught.value.reason == "payload_invalid"
    return caught.value


def drop(root: etree._Element, path: str) -> None:
    """Remove the element at ``path`` below ``root``."""
    element = root.find(path)
    parent = None if element is None else element.getparent()
    assert element is not None
    assert parent is not None
    parent.remove(element)


@pytest.mark.parametrize(("message_type", "version"), known_schemas())
def test_each_sample_validates(load_sample: LoadSample, message_type: str, version: str) -> None:
    envelope = parse_xml(load_sample(message_type, version))
    validate_envelope(envelope)
    header = read_header(envelope)
    assert (header.message_type, header.schema_version) == (message_type, version)
    validate_payload(envelope, header)


def test_signature_is_optional_and_allowed_after_body(referral_raw: bytes) -> None:
    signed = referral_raw.replace(
        b"</Envelope>",
        f'<ds:Signature xmlns:ds="{DSIG_NS}"><ds:X/></ds:Signature></Envelope>'.encode(),
    )
    validate_envelope(parse_xml(signed))


def test_created_at_without_offset_is_refused(referral_raw: bytes) -> None:
    error = envelope_invalid(referral_raw.replace(b"10:00:00+12:00<", b"10:00:00<"))
    assert error.path == "/Envelope/Header/CreatedAt"
    assert error.line == 15
    assert "2026-11-24T10:00:00" not in error.detail


def test_created_at_in_utc_with_z_is_accepted(referral_raw: bytes) -> None:
    validate_envelope(parse_xml(referral_raw.replace(b"10:00:00+12:00<", b"22:00:00Z<")))


@pytest.mark.parametrize(
    ("case", "old", "new", "path"),
    [
        ("uppercase_uuid", b"3f1c2a7e-0a0b", b"3F1C2A7E-0A0B", "/Envelope/Header/MessageId"),
        ("bad_system_code", b"<System>police", b"<System>Police", "/Envelope/Header/Sender/System"),
        ("bad_priority", b"<Priority>urgent", b"<Priority>asap", "/Envelope/Header/Priority"),
        (
            "bad_version",
            b"<SchemaVersion>1.0",
            b"<SchemaVersion>1",
            "/Envelope/Header/SchemaVersion",
        ),
        (
            "duplicate_recipient",
            b"<Recipient>kdn</Recipient>",
            b"<Recipient>social</Recipient>",
            "/Envelope/Header/Recipients/Recipient[2]",
        ),
        (
            "unknown_header_field",
            b"<Priority>",
            b"<Colour>red</Colour><Priority>",
            "/Envelope/Header/Colour",
        ),
        ("unknown_legal_field", b"<Law>", b"<Lex>x</Lex><Law>", "/Envelope/Header/LegalBasis/Lex"),
    ],
)
def test_envelope_errors_name_their_path(
    referral_raw: bytes, case: str, old: bytes, new: bytes, path: str
) -> None:
    raw = referral_raw.replace(old, new, 1)
    assert envelope_invalid(raw).path == path


def test_body_with_two_payloads_is_refused(referral_raw: bytes) -> None:
    error = envelope_invalid(referral_raw.replace(b"</Body>", b'<Extra xmlns="urn:x"/></Body>', 1))
    assert error.path == "/Envelope/Body/Extra"


def test_payload_in_envelope_namespace_is_refused(referral_raw: bytes) -> None:
    raw = referral_raw.replace(
        b'<FamilyReferral xmlns="urn:family-hub:msg:FamilyReferral:1"',
        b'<FamilyReferral xmlns="urn:family-hub:envelope:1"',
    )
    assert envelope_invalid(raw).path == "/Envelope/Body/FamilyReferral"


def test_wrong_payload_namespace_is_refused(referral_raw: bytes) -> None:
    raw = referral_raw.replace(b"msg:FamilyReferral:1", b"msg:FamilyReferral:2")
    error = payload_invalid(parse_xml(raw))
    assert error.path == "/Envelope/Body/FamilyReferral"
    assert "urn:family-hub:msg:FamilyReferral:1" in error.detail


def test_payload_of_another_type_is_refused(load_sample: LoadSample) -> None:
    envelope = parse_xml(load_sample("FamilyReferral", "1.0"))
    envelope[0][1].text = "ReferralReceipt"
    error = payload_invalid(envelope)
    assert "ReferralReceipt" in error.detail


def test_unknown_message_type(referral_raw: bytes) -> None:
    envelope = parse_xml(
        referral_raw.replace(b">FamilyReferral</MessageType>", b">CaseFile</MessageType>")
    )
    validate_envelope(envelope)
    with pytest.raises(UnknownMessageType) as caught:
        validate_payload(envelope, read_header(envelope))
    assert caught.value.reason == "unknown_type"


def test_unknown_version(referral_raw: bytes) -> None:
    envelope = parse_xml(referral_raw.replace(b"<SchemaVersion>1.0", b"<SchemaVersion>1.7"))
    validate_envelope(envelope)
    with pytest.raises(UnsupportedVersion) as caught:
        validate_payload(envelope, read_header(envelope))
    assert caught.value.reason == "unsupported_version"


def test_missing_required_field_is_reported_with_its_path(referral_raw: bytes) -> None:
    envelope = parse_xml(referral_raw)
    drop(payload_of(envelope), f"{REFERRAL}Family/{REFERRAL}Children")
    error = payload_invalid(envelope)
    assert error.path == "/Envelope/Body/FamilyReferral/Family"
    assert "Children" in error.detail


def test_missing_field_before_another_is_reported(referral_raw: bytes) -> None:
    envelope = parse_xml(referral_raw)
    drop(payload_of(envelope), f"{REFERRAL}Urgency")
    error = payload_invalid(envelope)
    assert error.path == "/Envelope/Body/FamilyReferral/Circumstances"
    assert "Urgency" in error.detail


@pytest.mark.parametrize(
    ("element", "index", "value", "path"),
    [
        (f"{COMMON}LastName", 1, "Вершинина" * 20, "Family/Adults/Adult[1]/Name/LastName"),
        (f"{COMMON}Role", 1, "Вершинина", "Family/Adults/Adult[2]/Role"),
        (f"{COMMON}BirthDate", 2, "1899-12-31", "Family/Children/Child[1]/BirthDate"),
        (f"{COMMON}BirthDate", 4, "31.12.2019", "Family/Children/Child[3]/BirthDate"),
        (f"{COMMON}Phone", 1, "позвонить Ольге", "Family/Adults/Adult[1]/Phone"),
        (f"{COMMON}FirstName", 2, "   ", "Family/Adults/Adult[2]/Name/FirstName"),
    ],
)
def test_payload_errors_hold_no_personal_data(
    referral_raw: bytes, element: str, index: int, value: str, path: str
) -> None:
    envelope = parse_xml(referral_raw)
    list(payload_of(envelope).iter(element))[index].text = value
    error = payload_invalid(envelope)
    assert error.path == "/Envelope/Body/FamilyReferral/" + path
    if value.strip():
        assert value not in str(error)
        assert value not in error.detail


def test_duplicate_reason_code_is_refused(referral_raw: bytes) -> None:
    envelope = parse_xml(referral_raw.replace(b"<Code>neglect</Code>", b"<Code>alcohol</Code>"))
    error = payload_invalid(envelope)
    assert "alcohol" not in error.detail


def test_payload_error_line_points_into_the_source(referral_raw: bytes) -> None:
    envelope = parse_xml(referral_raw.replace(b"<Source>visit", b"<Source>rumour"))
    error = payload_invalid(envelope)
    assert error.path == "/Envelope/Body/FamilyReferral/Source"
    assert error.line == referral_raw[: referral_raw.index(b"<Source>")].count(b"\n") + 1
