"""The schema registry: discovery, compile-once, unknown types and versions."""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files

import pytest
from lxml import etree

from schemas import (
    UnknownMessageType,
    UnsupportedVersion,
    envelope_schema,
    known_schemas,
    schema_for,
)

XS = "{http://www.w3.org/2001/XMLSchema}"

LoadSample = Callable[[str, str], bytes]


def test_known_schemas_are_discovered_from_the_package() -> None:
    assert known_schemas() == [
        ("ActionAssignment", "1.0"),
        ("ActionStatusUpdate", "1.0"),
        ("CaseClosure", "1.0"),
        ("CaseDecision", "1.0"),
        ("CaseDecision", "1.1"),
        ("ConsentRecord", "1.0"),
        ("DeliveryReceipt", "1.0"),
        ("DeliveryReceipt", "1.1"),
        ("FamilyReferral", "1.0"),
        ("FamilyReferral", "1.1"),
        ("InformationRequest", "1.0"),
        ("InformationResponse", "1.0"),
        ("PeriodicReport", "1.0"),
        ("ReferralReceipt", "1.0"),
        ("ReferralReceipt", "1.1"),
        ("SupportPlan", "1.0"),
        ("SupportPlan", "1.1"),
        ("SurveyAct", "1.0"),
    ]


def test_known_schemas_returns_a_fresh_list() -> None:
    known_schemas().clear()
    assert known_schemas()


def test_schemas_are_compiled_once() -> None:
    assert envelope_schema() is envelope_schema()
    assert schema_for("FamilyReferral", "1.0") is schema_for("FamilyReferral", "1.0")
    assert isinstance(schema_for("DeliveryReceipt", "1.0"), etree.XMLSchema)


@pytest.mark.parametrize("message_type", ["CaseFile", "envelope", "common", "familyreferral", ""])
def test_unknown_type(message_type: str) -> None:
    with pytest.raises(UnknownMessageType) as caught:
        schema_for(message_type, "1.0")
    assert caught.value.reason == "unknown_type"
    assert caught.value.message_type == message_type


@pytest.mark.parametrize("version", ["1.7", "1.2", "2.0", "1", "../1.0"])
def test_unsupported_version(version: str) -> None:
    with pytest.raises(UnsupportedVersion) as caught:
        schema_for("FamilyReferral", version)
    assert caught.value.reason == "unsupported_version"
    assert (caught.value.message_type, caught.value.version) == ("FamilyReferral", version)


def test_both_referral_versions_are_served() -> None:
    old, new = schema_for("FamilyReferral", "1.0"), schema_for("FamilyReferral", "1.1")
    assert old is not new


@pytest.mark.parametrize(
    "message_type",
    ["FamilyReferral", "ReferralReceipt", "CaseDecision", "SupportPlan", "DeliveryReceipt"],
)
def test_a_minor_version_is_a_superset(load_sample: LoadSample, message_type: str) -> None:
    # Every 1.0 payload is a valid 1.1 payload (same namespace, one optional element more).
    payload = etree.fromstring(load_sample(message_type, "1.0"))[1][0]
    assert schema_for(message_type, "1.1").validate(payload)


@pytest.mark.parametrize("message_type", ["ReferralReceipt", "CaseDecision", "SupportPlan"])
def test_a_curators_staff_id_needs_version_1_1(load_sample: LoadSample, message_type: str) -> None:
    # 1.0 readers are unaffected: a StaffId is not 1.0, so no 1.0 reader ever meets one.
    payload = etree.fromstring(load_sample(message_type, "1.1"))[1][0]
    assert payload.find(".//{urn:family-hub:common:1}StaffId") is not None
    assert schema_for(message_type, "1.1").validate(payload)
    assert not schema_for(message_type, "1.0").validate(payload)


def test_not_delivered_needs_delivery_receipt_1_1(load_sample: LoadSample) -> None:
    # The hub's own outcome: a 1.0 reader never meets it, so 1.0 stays as it was.
    payload = etree.fromstring(load_sample("DeliveryReceipt", "1.1"))[1][0]
    assert payload.findtext("{*}Outcome") == "not_delivered"
    assert schema_for("DeliveryReceipt", "1.1").validate(payload)
    assert not schema_for("DeliveryReceipt", "1.0").validate(payload)


def test_every_import_is_a_local_relative_path() -> None:
    package = files("schemas")
    xsds = [
        xsd
        for folder in package.iterdir()
        if folder.is_dir()
        for xsd in folder.iterdir()
        if xsd.name.endswith(".xsd")
    ]
    # envelope, common, 13 payload types, five of them (FamilyReferral, ReferralReceipt,
    # CaseDecision, SupportPlan, DeliveryReceipt) in two versions.
    assert len(xsds) == 20
    for xsd in xsds:
        for imported in etree.fromstring(xsd.read_bytes()).iter(f"{XS}import", f"{XS}include"):
            location = imported.get("schemaLocation", "")
            assert location.startswith("../common/"), (xsd.name, location)


def test_payload_namespaces_match_their_file(load_sample: LoadSample) -> None:
    package = files("schemas")
    for message_type, version in known_schemas():
        xsd = package / message_type / f"{message_type}-{version}.xsd"
        root = etree.fromstring(xsd.read_bytes())
        assert (
            root.get("targetNamespace")
            == f"urn:family-hub:msg:{message_type}:{version.split('.')[0]}"
        )
        assert root.get("version") == version
