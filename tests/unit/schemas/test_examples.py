"""schemas.example: one valid example per message type and version, and fresh copies of it."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from schemas import (
    UnknownMessageType,
    UnsupportedVersion,
    example_bytes,
    fresh_example,
    known_schemas,
    parse_xml,
    read_header,
    refresh_ids,
    validate_envelope,
    validate_payload,
)


@pytest.mark.parametrize(("message_type", "version"), known_schemas())
def test_every_type_and_version_has_a_valid_example(message_type: str, version: str) -> None:
    envelope = parse_xml(example_bytes(message_type, version))
    validate_envelope(envelope)
    header = read_header(envelope)
    assert (header.message_type, header.schema_version) == (message_type, version)
    validate_payload(envelope, header)


def test_a_fresh_example_has_a_new_id_and_now_and_nothing_else_changed() -> None:
    before = read_header(parse_xml(example_bytes("FamilyReferral", "1.0")))

    fresh = parse_xml(fresh_example("FamilyReferral", "1.0"))

    validate_envelope(fresh)
    after = read_header(fresh)
    assert uuid.UUID(after.message_id).version == 4
    assert after.message_id != before.message_id
    assert abs(datetime.now(UTC) - after.created_at) < timedelta(seconds=5)
    assert after.created_at.utcoffset() == timedelta(0)
    assert (after.sender, after.recipients, after.law) == (
        before.sender,
        before.recipients,
        before.law,
    )


def test_refresh_ids_takes_given_values() -> None:
    when = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)
    raw = refresh_ids(
        example_bytes("SurveyAct", "1.0"), message_id=str(uuid.UUID(int=7)), created_at=when
    )

    header = read_header(parse_xml(raw))

    assert (header.message_id, header.created_at) == (str(uuid.UUID(int=7)), when)


def test_unknown_type_or_version_is_refused_as_everywhere() -> None:
    with pytest.raises(UnknownMessageType):
        example_bytes("Nothing", "1.0")
    with pytest.raises(UnsupportedVersion):
        example_bytes("FamilyReferral", "9.9")
