"""Commission registrations ⇄ ReferralReceipt; referrals → Signals for its register."""

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

import schemas
from adapters.kdn import documents, translate
from adapters.kdn.simulator import SIGNAL_NS, signal_schema
from schemas import TranslationError
from schemas import canonical as c
from tests.unit.adapters import golden
from tests.unit.adapters.strategies import identifiers, moments, names, phones, texts, uuids

NOW = datetime(2026, 3, 15, tzinfo=UTC)

registrations = st.fixed_dictionaries(
    {
        "HubMessageId": uuids,
        "Outcome": st.sampled_from(
            ["зарегистрировано", "передано по подведомственности", "не относится к компетенции"]
        ),
        "RegisteredAt": moments,
        "Commission": texts,
    },
    optional={
        "CaseRef": st.from_regex(r"KAM-20[0-9]{2}-[0-9]{6}", fullmatch=True),
        "Urgent": st.just(True),
        "RegistrationNumber": identifiers,
        "Secretary": st.fixed_dictionaries(
            {"LastName": names, "FirstName": names},
            optional={"MiddleName": names, "Position": texts, "Phone": phones},
        ),
        "Note": texts,
    },
)


@settings(max_examples=60, deadline=None)
@given(registrations, uuids)
def test_every_mapped_field_survives_native_to_canonical_and_back(
    record: dict[str, Any], message_id: str
) -> None:
    envelope = schemas.parse_xml(
        etree.tostring(translate.to_canonical(record, message_id=message_id, now=NOW))
    )
    schemas.validate_envelope(envelope)
    schemas.validate_payload(envelope, schemas.read_header(envelope))

    assert translate.from_canonical(envelope) == record


def test_a_signal_validates_against_the_commissions_own_schema() -> None:
    signal = translate.from_canonical(golden.referral_envelope())
    element = _to_xml("Signal", signal, SIGNAL_NS)

    assert signal_schema().validate(element), signal_schema().error_log


def _to_xml(tag: str, value: object, ns: str) -> etree._Element:
    element = etree.Element(f"{{{ns}}}{tag}")
    _fill(element, value, ns)
    return element


def _fill(element: etree._Element, value: object, ns: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            for one in item if isinstance(item, list) else [item]:
                _fill(etree.SubElement(element, f"{{{ns}}}{key}"), one, ns)
    else:
        element.text = str(value).lower() if isinstance(value, bool) else str(value)


def test_other_message_types_have_no_place_in_the_register() -> None:
    update = c.ActionAssignment(
        plan_id="ИПСС-1",
        plan_version=1,
        action_id="a-1",
        measure="Патронаж",
        help_type="social",
        responsible_agency="social",
        deadline=NOW.date(),
    )
    envelope = c.to_envelope(
        update,
        message_id=golden.REPLY_ID,
        sender="social",
        organisation="КЦСОН",
        created_at=NOW,
        priority="routine",
        law="x",
    )
    with pytest.raises(TranslationError) as caught:
        translate.from_canonical(envelope)
    assert caught.value.field == "MessageType"


def test_an_unknown_outcome_is_named() -> None:
    record = {**golden.native("kdn", "registration"), "Outcome": "отложено"}
    with pytest.raises(TranslationError) as caught:
        translate.to_canonical(record, message_id=golden.REPLY_ID, now=NOW)
    assert (caught.value.field, caught.value.reason) == ("Outcome", "unknown code 'отложено'")


@pytest.mark.parametrize(
    "name", ["document_survey", "document_consent", "document_plan", "document_closure"]
)
def test_case_documents_validate_against_the_commissions_own_schema(name: str) -> None:
    element = _to_xml("Document", golden.native("kdn", name), SIGNAL_NS)

    assert signal_schema().validate(element), signal_schema().error_log


def test_a_resolution_becomes_the_commissions_decision_on_sop() -> None:
    envelope = documents.decision_to_canonical(
        golden.native("kdn", "decision"), message_id=golden.REPLY_ID, now=NOW
    )
    decision = c.from_envelope(envelope).payload

    assert isinstance(decision, c.CaseDecision)
    assert (decision.decision_body.kind, decision.outcome, decision.category) == (
        "kdn",
        "recognised",
        "sop",
    )
    assert decision.risk_level == "high"


def test_an_unknown_resolution_is_named() -> None:
    record = {**golden.native("kdn", "decision"), "Resolution": "взять на контроль"}
    with pytest.raises(TranslationError) as caught:
        documents.decision_to_canonical(record, message_id=golden.REPLY_ID, now=NOW)
    assert caught.value.field == "Resolution"
