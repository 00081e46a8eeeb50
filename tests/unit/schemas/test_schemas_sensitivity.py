"""sensitivity_map: personal-data classes read from the XSD annotations."""

from __future__ import annotations

from collections.abc import Callable
from typing import get_args

import pytest

from schemas import (
    SensitivityClass,
    UnknownMessageType,
    known_schemas,
    parse_xml,
    payload_of,
    sensitivity_map,
)

CLASSES = set(get_args(SensitivityClass))

LoadSample = Callable[[str, str], bytes]


def test_referral_classes() -> None:
    classes = sensitivity_map("FamilyReferral", "1.0")
    assert classes["Family/Children/Child/BirthDate"] == "identity"
    assert classes["Family/Children/Child/Name"] == "identity"
    assert classes["Family/Adults/Adult/Phone"] == "identity"
    assert classes["Family/Address"] == "identity"
    assert classes["Family/Children/Child/HealthNote"] == "health"
    assert classes["Reasons"] == "conduct"
    assert classes["Circumstances"] == "conduct"
    assert classes["Family/Children/Child/Institution"] == "social"
    assert "ReferralId" not in classes
    assert "Urgency" not in classes


@pytest.mark.parametrize(("message_type", "version"), known_schemas())
def test_every_class_is_known(message_type: str, version: str) -> None:
    assert set(sensitivity_map(message_type, version).values()) <= CLASSES


def test_technical_receipt_has_no_personal_data() -> None:
    assert sensitivity_map("DeliveryReceipt", "1.0") == {}


@pytest.mark.parametrize(("message_type", "version"), known_schemas())
def test_every_path_exists_in_the_sample(
    load_sample: LoadSample, message_type: str, version: str
) -> None:
    payload = payload_of(parse_xml(load_sample(message_type, version)))
    for path in sensitivity_map(message_type, version):
        steps = "/".join(f"*[local-name()='{step}']" for step in path.split("/"))
        assert payload.xpath(steps), path


def test_callers_get_their_own_dict() -> None:
    sensitivity_map("FamilyReferral", "1.0").clear()
    assert sensitivity_map("FamilyReferral", "1.0")


def test_unknown_type() -> None:
    with pytest.raises(UnknownMessageType):
        sensitivity_map("CaseFile", "1.0")


def test_referral_1_1_marks_its_language_social() -> None:
    newer = sensitivity_map("FamilyReferral", "1.1")
    assert newer.pop("PreferredLanguage") == "social"
    assert newer == sensitivity_map("FamilyReferral", "1.0")


def test_an_adults_role_is_identity() -> None:
    # Required inside c:Adult, so it must survive minimisation.
    assert sensitivity_map("FamilyReferral", "1.0")["Family/Adults/Adult/Role"] == "identity"


@pytest.mark.parametrize(
    ("message_type", "path", "expected"),
    [
        ("SurveyAct", "Address", "identity"),
        ("SurveyAct", "ChildrenSeen/Child/Name", "identity"),
        ("SurveyAct", "ChildrenSeen/Child/HealthNote", "health"),
        ("SurveyAct", "HousingConditions", "social"),
        ("SurveyAct", "Findings", "conduct"),
        ("SurveyAct", "HealthObservations", "health"),
        ("SurveyAct", "Recommendations", "social"),
        ("ConsentRecord", "GivenBy", "identity"),
        ("CaseDecision", "Grounds", "conduct"),
        ("SupportPlan", "Goals", "social"),
        ("SupportPlan", "Actions/Action/Notes", "social"),
        ("ActionAssignment", "Comment", "social"),
        ("InformationRequest", "Person", "identity"),
        ("InformationResponse", "Answer", "social"),
        ("InformationResponse", "HealthInformation", "health"),
        ("InformationResponse", "ConductInformation", "conduct"),
        ("PeriodicReport", "Actions/ActionReport/Summary", "social"),
        ("PeriodicReport", "Summary", "social"),
        ("PeriodicReport", "NextSteps", "social"),
        ("CaseClosure", "Comment", "social"),
    ],
)
def test_lifecycle_classes(message_type: str, path: str, expected: str) -> None:
    assert sensitivity_map(message_type, "1.0")[path] == expected


@pytest.mark.parametrize(("message_type", "version"), known_schemas())
def test_identity_never_sits_inside_a_removable_class(message_type: str, version: str) -> None:
    # Removing a health, conduct or social element must not take identity data with it.
    classes = sensitivity_map(message_type, version)
    removable = [path for path, marked in classes.items() if marked != "identity"]
    for path, marked in classes.items():
        if marked == "identity":
            assert not any(path.startswith(outer + "/") for outer in removable), path
