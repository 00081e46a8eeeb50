"""minimise and the invariant it relies on: a payload without a class still validates."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import etree

from schemas import (
    DSIG_NS,
    UnsupportedVersion,
    known_schemas,
    minimise,
    parse_xml,
    payload_of,
    read_header,
    sensitivity_map,
    validate_envelope,
    validate_payload,
)

LoadSample = Callable[[str, str], bytes]

REMOVABLE = ("health", "conduct", "social")
EVERYTHING = frozenset({"identity", *REMOVABLE})


def local_path(path: str) -> str:
    """``Family/Address`` → an ElementPath matching those local names in any namespace."""
    return "/".join(f"{{*}}{step}" for step in path.split("/"))


def elements_of_class(
    payload: etree._Element, message_type: str, version: str, marked: str
) -> list[etree._Element]:
    """Every element below ``payload`` that sensitivity_map puts in class ``marked``."""
    classes = sensitivity_map(message_type, version)
    found: list[etree._Element] = []
    for path, sensitivity in classes.items():
        if sensitivity == marked:
            found.extend(payload.iterfind(local_path(path)))
    return found


def assert_valid(envelope: etree._Element) -> None:
    validate_envelope(envelope)
    validate_payload(envelope, read_header(envelope))


SAMPLES_AND_CLASSES = [
    (message_type, version, marked)
    for message_type, version in known_schemas()
    for marked in REMOVABLE
]


@pytest.mark.parametrize(("message_type", "version", "marked"), SAMPLES_AND_CLASSES)
def test_payload_without_a_class_still_validates(
    load_sample: LoadSample, message_type: str, version: str, marked: str
) -> None:
    # Given a full sample, when every element of one class is cut out by hand (not by
    # minimise), then the payload still validates: the schema invariant the hub relies on.
    envelope = parse_xml(load_sample(message_type, version))
    for element in elements_of_class(payload_of(envelope), message_type, version, marked):
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)
    assert_valid(envelope)


@pytest.mark.parametrize(("message_type", "version"), known_schemas())
def test_minimised_to_identity_only_validates_and_keeps_identity(
    load_sample: LoadSample, message_type: str, version: str
) -> None:
    envelope = parse_xml(load_sample(message_type, version))
    minimised, removed = minimise(envelope, frozenset())
    assert_valid(minimised)
    payload = payload_of(minimised)
    for marked in REMOVABLE:
        assert elements_of_class(payload, message_type, version, marked) == []
    identity_before = elements_of_class(payload_of(envelope), message_type, version, "identity")
    identity_after = elements_of_class(payload, message_type, version, "identity")
    assert len(identity_after) == len(identity_before)
    present = {
        marked
        for marked in REMOVABLE
        if elements_of_class(payload_of(envelope), message_type, version, marked)
    }
    assert removed == tuple(sorted(present))


def test_referral_for_a_school_loses_health_and_conduct_only(load_sample: LoadSample) -> None:
    envelope = parse_xml(load_sample("FamilyReferral", "1.1"))
    minimised, removed = minimise(envelope, frozenset({"identity", "social"}))
    assert removed == ("conduct", "health")
    payload = payload_of(minimised)
    names = {etree.QName(element).localname for element in payload.iter()}
    assert {"Reasons", "Circumstances", "HealthNote"}.isdisjoint(names)
    assert {"Institution", "PreferredLanguage", "Address", "BirthDate", "Role"} <= names
    assert_valid(minimised)


def test_everything_allowed_removes_nothing(load_sample: LoadSample) -> None:
    envelope = parse_xml(load_sample("SurveyAct", "1.0"))
    minimised, removed = minimise(envelope, EVERYTHING)
    assert removed == ()
    assert etree.tostring(payload_of(minimised)) == etree.tostring(payload_of(envelope))


def test_identity_is_kept_even_when_not_listed(load_sample: LoadSample) -> None:
    envelope = parse_xml(load_sample("InformationRequest", "1.0"))
    minimised, removed = minimise(envelope, frozenset())
    assert removed == ()
    assert payload_of(minimised).find("{urn:family-hub:msg:InformationRequest:1}Person") is not None


def test_the_original_is_untouched(load_sample: LoadSample) -> None:
    raw = load_sample("InformationResponse", "1.0")
    envelope = parse_xml(raw)
    before = etree.tostring(envelope)
    minimised, removed = minimise(envelope, frozenset({"identity"}))
    assert removed == ("conduct", "health", "social")
    assert minimised is not envelope
    assert etree.tostring(envelope) == before


def test_the_senders_signature_is_not_carried_over(load_sample: LoadSample) -> None:
    signed = load_sample("CaseDecision", "1.0").replace(
        b"</Envelope>",
        f'<ds:Signature xmlns:ds="{DSIG_NS}"><ds:X/></ds:Signature></Envelope>'.encode(),
    )
    envelope = parse_xml(signed)
    minimised, _ = minimise(envelope, EVERYTHING)
    assert minimised.find(f"{{{DSIG_NS}}}Signature") is None
    assert envelope.find(f"{{{DSIG_NS}}}Signature") is not None


def test_a_misspelt_class_is_refused(load_sample: LoadSample) -> None:
    envelope = parse_xml(load_sample("FamilyReferral", "1.0"))
    with pytest.raises(ValueError, match="helth"):
        minimise(envelope, frozenset({"helth"}))


def test_an_absent_version_is_refused(load_sample: LoadSample) -> None:
    envelope = parse_xml(
        load_sample("FamilyReferral", "1.0").replace(b"<SchemaVersion>1.0", b"<SchemaVersion>1.7")
    )
    with pytest.raises(UnsupportedVersion):
        minimise(envelope, frozenset())
