"""build_envelope / read_header / payload_of."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from schemas import (
    EnvelopeHeader,
    EnvelopeInvalid,
    build_envelope,
    parse_xml,
    payload_of,
    read_header,
    validate_envelope,
    validate_payload,
)

KAMCHATKA = timezone(timedelta(hours=12))

SAMPLE_HEADER = EnvelopeHeader(
    message_id="3f1c2a7e-0a0b-4c4d-8e8f-0123456789ab",
    message_type="FamilyReferral",
    schema_version="1.0",
    sender="police",
    sender_organisation="ОМВД России по г. Петропавловску-Камчатскому",
    recipients=("social", "kdn"),
    created_at=datetime(2026, 11, 24, 10, 0, tzinfo=KAMCHATKA),
    priority="urgent",
    case_ref=None,
    correlation_id=None,
    law="Федеральный закон от 24.06.1999 № 120-ФЗ, ст. 9",
    consent_ref=None,
)


def test_read_header_of_sample(referral_raw: bytes) -> None:
    header = read_header(parse_xml(referral_raw))
    assert header == SAMPLE_HEADER
    assert header.created_at.utcoffset() == timedelta(hours=12)


def test_read_header_collapses_token_whitespace(referral_raw: bytes) -> None:
    raw = referral_raw.replace(b"<Law>", b"<Law>\n   ").replace(
        b", \xd1\x81\xd1\x82. 9", b",\t\t\xd1\x81\xd1\x82. 9"
    )
    envelope = parse_xml(raw)
    validate_envelope(envelope)
    assert read_header(envelope).law == SAMPLE_HEADER.law


def test_build_envelope_copies_the_payload(referral_raw: bytes) -> None:
    source = parse_xml(referral_raw)
    payload = payload_of(source)
    payload.tail = "\n  trailing text of the old parent"
    envelope = build_envelope(SAMPLE_HEADER, payload)
    copied = payload_of(envelope)
    assert copied is not payload
    assert payload.getparent() is not None  # still in its own tree
    assert copied.tail is None
    assert etree.tostring(copied, with_tail=False) == etree.tostring(payload, with_tail=False)
    validate_envelope(envelope)
    validate_payload(envelope, read_header(envelope))


def test_build_envelope_uses_the_envelope_namespace_as_default(referral_raw: bytes) -> None:
    envelope = build_envelope(SAMPLE_HEADER, payload_of(parse_xml(referral_raw)))
    assert envelope.nsmap[None] == "urn:family-hub:envelope:1"
    assert (
        envelope.find("{urn:family-hub:envelope:1}Header/{urn:family-hub:envelope:1}Recipients")
        is not None
    )


def test_no_recipients_means_no_recipients_element(referral_raw: bytes) -> None:
    header = replace(SAMPLE_HEADER, recipients=())
    envelope = build_envelope(header, payload_of(parse_xml(referral_raw)))
    validate_envelope(envelope)
    assert (
        envelope.find("{urn:family-hub:envelope:1}Header/{urn:family-hub:envelope:1}Recipients")
        is None
    )
    assert read_header(envelope).recipients == ()


def test_naive_created_at_is_a_programming_error(referral_raw: bytes) -> None:
    naive = replace(SAMPLE_HEADER, created_at=datetime(2026, 11, 24, 10, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        build_envelope(naive, payload_of(parse_xml(referral_raw)))


def test_offset_with_seconds_is_a_programming_error(referral_raw: bytes) -> None:
    odd = timezone(timedelta(hours=2, seconds=30))
    header = replace(SAMPLE_HEADER, created_at=datetime(2026, 1, 1, tzinfo=odd))
    with pytest.raises(ValueError, match="whole minutes"):
        build_envelope(header, payload_of(parse_xml(referral_raw)))


def test_payload_of_empty_body_is_envelope_invalid(referral_raw: bytes) -> None:
    envelope = parse_xml(referral_raw)
    body = envelope[1]
    body.remove(body[0])
    with pytest.raises(EnvelopeInvalid) as caught:
        payload_of(envelope)
    assert caught.value.path == "/Envelope/Body"


# Round trip: any header that fits the XSD survives build → bytes → parse → read.

# Text an XML document can carry (no controls, no surrogates, no U+FFFE/U+FFFF), already
# collapsed as xs:token collapses it, so that read_header returns it unchanged.
xml_text = (
    st.text(
        st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"),
        min_size=1,
        max_size=120,
    )
    .map(lambda text: re.sub(" +", " ", text).strip(" "))
    .filter(bool)
)
system_codes = st.from_regex(r"[a-z][a-z0-9_\-]{1,31}", fullmatch=True)
uuids = st.uuids().map(str)
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
# A day's margin at both ends keeps UTC conversion (used by ==) inside datetime's range.
created = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(9999, 12, 30), timezones=offsets
)

headers = st.builds(
    EnvelopeHeader,
    message_id=uuids,
    message_type=st.sampled_from(["FamilyReferral", "SurveyAct", "DeliveryReceipt"]),
    schema_version=st.from_regex(r"[0-9]{1,3}\.[0-9]{1,3}", fullmatch=True),
    sender=system_codes,
    sender_organisation=xml_text,
    recipients=st.lists(system_codes, max_size=5, unique=True).map(tuple),
    created_at=created,
    priority=st.sampled_from(["urgent", "routine"]),
    case_ref=st.none() | st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_\-/.]{0,63}", fullmatch=True),
    correlation_id=st.none() | uuids,
    law=xml_text,
    consent_ref=st.none() | xml_text.filter(lambda text: len(text) <= 64),
)


@given(header=headers)
def test_build_and_read_header_round_trip(header: EnvelopeHeader) -> None:
    payload = etree.Element("{urn:family-hub:msg:DeliveryReceipt:1}DeliveryReceipt")
    raw = etree.tostring(build_envelope(header, payload), encoding="UTF-8", xml_declaration=True)
    envelope = parse_xml(raw)
    validate_envelope(envelope)
    assert read_header(envelope) == header


def test_round_trip_keeps_utc_and_microseconds() -> None:
    header = replace(SAMPLE_HEADER, created_at=datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=UTC))
    envelope = build_envelope(header, etree.Element("{urn:x}P"))
    envelope = parse_xml(etree.tostring(envelope))
    validate_envelope(envelope)
    assert read_header(envelope).created_at == header.created_at
