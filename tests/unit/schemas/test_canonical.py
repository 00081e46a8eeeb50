"""schemas.canonical: every sample reads into its dataclass and writes back to the same XML."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree

import schemas
from schemas import TranslationError
from schemas import canonical as c

DATA = Path(__file__).parents[2] / "data"
SAMPLES = schemas.known_schemas()
NOW = datetime.fromisoformat("2026-12-09T12:00:00+12:00")


def sample(message_type: str, version: str) -> etree._Element:
    return schemas.parse_xml((DATA / f"{message_type}-{version}.xml").read_bytes())


def c14n(element: etree._Element) -> str:
    """C14N 2.0 with insignificant whitespace stripped."""
    return str(etree.canonicalize(etree.tostring(element).decode(), strip_text=True))


def rewrite(message: c.CanonicalMessage) -> etree._Element:
    """Write ``message`` back into an envelope with the same header values."""
    header = message.header
    return c.to_envelope(
        message.payload,
        message_id=header.message_id,
        sender=header.sender,
        organisation=header.sender_organisation,
        created_at=header.created_at,
        priority=header.priority,
        law=header.law,
        case_ref=header.case_ref,
        correlation_id=header.correlation_id,
        consent_ref=header.consent_ref,
        recipients=header.recipients,
    )


def envelope_of(payload: c.Payload) -> etree._Element:
    return c.to_envelope(
        payload,
        message_id="0f0e0d0c-0b0a-4908-8706-050403020100",
        sender="social",
        organisation="КЦСОН",
        created_at=NOW,
        priority="routine",
        law="Федеральный закон от 24.06.1999 № 120-ФЗ",
    )


def test_the_names_adapters_import_are_still_there() -> None:
    before_the_split = {
        "COMMON_NS", "SCHEMA_VERSION", "ActionStatusUpdate", "Address", "Adult",
        "CanonicalMessage", "Child", "DeliveryReceipt", "FamilyReferral", "Institution",
        "Organisation", "Payload", "Period", "PersonName", "Reason", "ReferralReceipt",
        "Specialist", "from_envelope", "to_envelope",
    }  # fmt: skip
    assert before_the_split <= set(c.__all__)
    assert all(hasattr(c, name) for name in c.__all__)


@pytest.mark.parametrize(("message_type", "version"), SAMPLES)
def test_every_sample_reads_and_writes_back_unchanged(message_type: str, version: str) -> None:
    envelope = sample(message_type, version)
    message = c.from_envelope(envelope)
    assert type(message.payload).__name__ == message_type
    written = rewrite(message)
    assert schemas.read_header(written).schema_version == version
    assert c14n(schemas.payload_of(written)) == c14n(schemas.payload_of(envelope))
    assert c.from_envelope(written) == message


@pytest.mark.parametrize(("message_type", "version"), SAMPLES)
def test_full_samples_fill_every_field(message_type: str, version: str) -> None:
    # The samples carry every optional element, so no top-level field is left empty.
    payload = c.from_envelope(sample(message_type, version)).payload
    empty = [f.name for f in dataclasses.fields(payload) if getattr(payload, f.name) in (None, ())]
    if (message_type, version) == ("FamilyReferral", "1.0"):
        assert empty == ["preferred_language"]
    elif message_type != "DeliveryReceipt":  # its sample is a success: no Reason
        assert empty == []


def test_values_are_typed() -> None:
    plan = c.from_envelope(sample("SupportPlan", "1.0")).payload
    assert isinstance(plan, c.SupportPlan)
    assert plan.version == 2
    assert plan.period == c.Period(start=date(2026, 12, 9), end=date(2027, 6, 8))
    assert plan.approved_at.utcoffset() is not None
    assert [a.help_type for a in plan.actions] == ["medical", "employment", "pedagogical"]
    survey = c.from_envelope(sample("SurveyAct", "1.0")).payload
    assert isinstance(survey, c.SurveyAct)
    assert survey.needs_support is True
    assert len(survey.children_seen) == 2
    request = c.from_envelope(sample("InformationRequest", "1.0")).payload
    assert isinstance(request, c.InformationRequest)
    assert request.person == c.RequestedPerson(
        name=c.PersonName(last="Вершинина", first="Ксения", middle="Дмитриевна"),
        birth_date=date(2025, 12, 20),
    )


def test_referral_is_1_1_only_when_it_has_a_language() -> None:
    message = c.from_envelope(sample("FamilyReferral", "1.1"))
    assert isinstance(message.payload, c.FamilyReferral)
    assert message.payload.preferred_language == "ky"
    without = dataclasses.replace(message.payload, preferred_language=None)
    assert schemas.read_header(envelope_of(message.payload)).schema_version == "1.1"
    assert schemas.read_header(envelope_of(without)).schema_version == "1.0"


def test_a_minimised_referral_reads_without_conduct_data() -> None:
    envelope, removed = schemas.minimise(sample("FamilyReferral", "1.0"), frozenset({"social"}))
    assert removed == ("conduct", "health")
    referral = c.from_envelope(envelope).payload
    assert isinstance(referral, c.FamilyReferral)
    assert (referral.reasons, referral.circumstances) == ((), None)
    assert all(child.health_note is None for child in referral.children)
    # And writes back valid: no empty Reasons element.
    assert c.from_envelope(envelope_of(referral)).payload == referral


def test_a_boolean_written_as_digit_reads() -> None:
    envelope = sample("SurveyAct", "1.0")
    needs = schemas.payload_of(envelope).find("{urn:family-hub:msg:SurveyAct:1}NeedsSupport")
    assert needs is not None
    needs.text = "0"
    survey = c.from_envelope(envelope).payload
    assert isinstance(survey, c.SurveyAct)
    assert survey.needs_support is False


def test_an_absent_version_is_refused() -> None:
    envelope = sample("FamilyReferral", "1.0")
    envelope[0][2].text = "1.7"
    with pytest.raises(TranslationError) as caught:
        c.from_envelope(envelope)
    assert caught.value.field == "FamilyReferral"
    assert "1.7" in caught.value.reason


def test_an_invalid_payload_names_the_element() -> None:
    envelope = sample("CaseClosure", "1.0")
    reason = schemas.payload_of(envelope).find("{urn:family-hub:msg:CaseClosure:1}Reason")
    assert reason is not None
    reason.text = "bored"
    with pytest.raises(TranslationError) as caught:
        c.from_envelope(envelope)
    assert caught.value.field == "CaseClosure"
    assert "/Envelope/Body/CaseClosure/Reason" in caught.value.reason
    assert "bored" not in caught.value.reason
