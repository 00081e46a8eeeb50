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
        sensitivity_map("SurveyAct", "1.0")
