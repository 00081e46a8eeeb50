"""schemas.canonical: every sample reads into its dataclass and writes back to the same XML."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path

import pytest
import xmlschema
from lxml import etree
from xmlschema.validators import XsdComplexType, XsdGroup

import schemas
from schemas import TranslationError
from schemas import canonical as c
from schemas.registry import model_for

#: Variants of the contract's examples (``<Type>-<version>-<what>.xml``), for the tests only.
VARIANTS = Path(__file__).parents[2] / "data"
SAMPLES = schemas.known_schemas()
NOW = datetime.fromisoformat("2026-12-09T12:00:00+12:00")


def sample(message_type: str, version: str) -> etree._Element:
    return schemas.parse_xml(schemas.example_bytes(message_type, version))


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


@pytest.mark.parametrize("message_type", ["ReferralReceipt", "CaseDecision", "SupportPlan"])
def test_a_curator_message_is_1_1_only_when_the_curator_has_a_staff_id(message_type: str) -> None:
    payload = c.from_envelope(sample(message_type, "1.1")).payload
    assert isinstance(payload, c.ReferralReceipt | c.CaseDecision | c.SupportPlan)
    assert payload.curator is not None
    assert payload.curator.staff_id == "КЦ-0457"
    without = dataclasses.replace(
        payload, curator=dataclasses.replace(payload.curator, staff_id=None)
    )
    assert schemas.read_header(envelope_of(payload)).schema_version == "1.1"
    assert schemas.read_header(envelope_of(without)).schema_version == "1.0"
    assert c.from_envelope(envelope_of(without)).payload == without


def test_a_delivery_receipt_is_1_1_only_when_not_delivered() -> None:
    payload = c.from_envelope(sample("DeliveryReceipt", "1.1")).payload
    assert isinstance(payload, c.DeliveryReceipt)
    assert payload.outcome == c.NOT_DELIVERED
    delivered = dataclasses.replace(payload, outcome="delivered", reason=None)
    assert schemas.read_header(envelope_of(payload)).schema_version == c.NOT_DELIVERED_VERSION
    assert schemas.read_header(envelope_of(delivered)).schema_version == "1.0"


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


# One description per message type, checked against its XSD


def samples_of(message_type: str, version: str) -> list[etree._Element]:
    """The example of a type and version, then its variants in tests/data."""
    variants = sorted(VARIANTS.glob(f"{message_type}-{version}-*.xml"))
    return [sample(message_type, version), *(schemas.parse_xml(v.read_bytes()) for v in variants)]


def xsd_elements(message_type: str, version: str) -> dict[str, str]:
    """{element path below the payload root: its XSD whitespace rule, "" for a container}."""
    found: dict[str, str] = {}
    stack = [("", model_for(message_type, version).elements[message_type])]
    while stack:
        path, element = stack.pop()
        content = element.type
        if isinstance(content, XsdComplexType):
            if isinstance(content.content, XsdGroup):
                stack.extend(
                    (f"{path}/{child.local_name}".lstrip("/"), child)
                    for child in content.content.iter_elements()
                    if isinstance(child, xmlschema.XsdElement)
                )
            if path:
                found[path] = ""
        else:
            found[path] = content.white_space or ""
    return found


def path_below(payload: etree._Element, element: etree._Element) -> str:
    """``element``'s local-name path below ``payload``, e.g. ``Family/Address/Region``."""
    steps = [element, *element.iterancestors()]
    return "/".join(etree.QName(e).localname for e in reversed(steps[: steps.index(payload)]))


def element_paths(payload: etree._Element) -> set[str]:
    """Local-name paths of every element below ``payload``."""
    return {path_below(payload, e) for e in payload.iterdescendants(etree.Element)}


@pytest.mark.parametrize(("message_type", "version"), SAMPLES)
def test_the_model_reads_and_writes_every_element_its_xsd_declares(
    message_type: str, version: str
) -> None:
    # Given the samples, which between them hold every element the XSD declares
    declared = set(xsd_elements(message_type, version))
    envelopes = samples_of(message_type, version)
    in_samples = set().union(*(element_paths(schemas.payload_of(e)) for e in envelopes))
    assert in_samples == declared, "the samples must hold every element the XSD declares"

    # When the model reads each and writes it back
    written = [rewrite(c.from_envelope(envelope)) for envelope in envelopes]

    # Then nothing the XSD declares was dropped on the way, and nothing was made up
    assert set().union(*(element_paths(schemas.payload_of(e)) for e in written)) == declared


@pytest.mark.parametrize(("message_type", "version"), SAMPLES)
def test_values_read_as_the_xsd_compares_them(message_type: str, version: str) -> None:
    # Given the sample with whitespace added around (and inside) each value whose XSD type
    # collapses it (tokens, dates, numbers) wherever the hub's validator still accepts it
    envelope = sample(message_type, version)
    payload = schemas.payload_of(envelope)
    schema = schemas.schema_for(message_type, version)
    collapsing = {
        p for p, rule in xsd_elements(message_type, version).items() if rule == "collapse"
    }
    padded = 0
    for element in payload.iterdescendants(etree.Element):
        written = element.text
        if path_below(payload, element) in collapsing and written:
            element.text = "\n  " + written.replace(" ", " \t ") + " \r\n"
            if schema.validate(payload):
                padded += 1
            else:  # libxml2 takes no blanks around a plain xs:date, so no partner sends them
                element.text = written
    assert padded

    # When the model reads it, then it reads the values of the sample without them
    assert c.from_envelope(envelope) == c.from_envelope(sample(message_type, version))


def test_read_payload_reads_a_validated_payload_without_validating_it_again() -> None:
    envelope = sample("SupportPlan", "1.0")
    header = schemas.read_header(envelope)
    payload = schemas.payload_of(envelope)
    assert c.read_payload(header, payload) == c.from_envelope(envelope).payload
    # It trusts its caller: a value the XSD refuses reads as it is.
    help_type = payload.find(".//{urn:family-hub:msg:SupportPlan:1}HelpType")
    assert help_type is not None
    help_type.text = "astrology"
    plan = c.read_payload(header, payload)
    assert isinstance(plan, c.SupportPlan)
    assert plan.actions[0].help_type == "astrology"


def test_read_payload_refuses_a_type_the_model_does_not_describe() -> None:
    envelope = sample("SupportPlan", "1.0")
    header = dataclasses.replace(schemas.read_header(envelope), message_type="FamilyVisit")
    with pytest.raises(TranslationError) as caught:
        c.read_payload(header, schemas.payload_of(envelope))
    assert (caught.value.field, caught.value.reason) == (
        "MessageType",
        "FamilyVisit is not supported",
    )
