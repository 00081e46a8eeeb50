"""Health FHIR resources ⇄ canonical messages: golden files, round trips, named errors."""

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

import schemas
from adapters.health import translate
from schemas import TranslationError
from schemas import canonical as c
from tests.unit.adapters import golden
from tests.unit.adapters.health import cases
from tests.unit.adapters.health.fhir_strategies import communications, service_requests, tasks
from tests.unit.adapters.strategies import uuids

NOW = datetime(2026, 3, 15, tzinfo=UTC)


def _canonical(resource: object, message_id: str = cases.REPLY_ID) -> etree._Element:
    """The envelope as the hub would read it: serialised, safely re-parsed and validated."""
    envelope = schemas.parse_xml(
        etree.tostring(translate.to_canonical(resource, message_id=message_id, now=NOW))
    )
    schemas.validate_envelope(envelope)
    schemas.validate_payload(envelope, schemas.read_header(envelope))
    return envelope


def _error(resource: object) -> TranslationError:
    with pytest.raises(TranslationError) as caught:
        translate.to_canonical(resource, message_id=cases.REPLY_ID, now=NOW)
    return caught.value


# Golden files


@pytest.mark.parametrize(("name", "message_id"), cases.INBOUND, ids=[n for n, _ in cases.INBOUND])
def test_native_resource_translates_to_the_golden_envelope(name: str, message_id: str) -> None:
    envelope = translate.to_canonical(cases.native(name), message_id=message_id, now=cases.NOW)

    expected = (cases.NATIVE / f"{name}.xml").read_bytes()
    assert golden.canonical_text(envelope) == golden.canonical_text(expected)
    _canonical(cases.native(name), message_id)


@pytest.mark.parametrize(("name", "message_id"), cases.INBOUND, ids=[n for n, _ in cases.INBOUND])
def test_golden_envelope_translates_back_to_the_native_resource(name: str, message_id: str) -> None:
    envelope = etree.fromstring((cases.NATIVE / f"{name}.xml").read_bytes())

    back, facts = cases.split_envelope(translate.from_canonical(envelope))
    native, answered = cases.split_envelope(cases.native(name))

    assert back == native
    assert facts["messageId"] == message_id
    assert facts["sender"] == "health"
    assert {k: facts[k] for k in answered} == answered


@pytest.mark.parametrize(("sample", "name"), cases.OUTBOUND, ids=[n for _, n in cases.OUTBOUND])
def test_each_outbound_message_reaches_the_health_system_as_its_golden_resource(
    sample: str, name: str
) -> None:
    assert translate.from_canonical(cases.sample(sample)) == cases.native(name)


def test_the_perinatal_signal_is_an_urgent_newborn_referral_with_the_health_note() -> None:
    message = c.from_envelope(_canonical(cases.native("referral")))

    assert message.header.priority == "urgent"
    assert message.header.sender == "health"
    referral = message.payload
    assert isinstance(referral, c.FamilyReferral)
    assert referral.urgency == "urgent"
    assert referral.source == "hospital"
    assert referral.reasons[0].code == "newborn_at_risk"
    health_note = referral.children[0].health_note
    assert health_note is not None
    assert health_note.startswith("Недоношенность")
    assert referral.adults[0].role == "mother"


def test_a_support_plan_becomes_a_care_plan_and_one_task_per_health_action() -> None:
    bundle = translate.from_canonical(cases.sample("SupportPlan-1.0"))

    assert bundle["type"] == "transaction"
    entries = bundle["entry"]
    assert isinstance(entries, list)
    care_plan, *task_entries = entries
    plan_actions = care_plan["resource"]["activity"]
    tasks_ = [entry["resource"] for entry in task_entries]
    assert [t["identifier"][0]["value"] for t in tasks_] == ["ИПСС-0457-03"]
    assert all(t["status"] == "requested" for t in tasks_)
    # The health action is the Task's activity; the others stay details of the plan.
    assert {"reference": {"reference": task_entries[0]["fullUrl"]}} in plan_actions
    assert sum("detail" in a for a in plan_actions) == len(plan_actions) - len(tasks_)
    assert task_entries[0]["request"]["method"] == "PUT"


# Round trips


@settings(max_examples=60, deadline=None)
@given(st.one_of(service_requests(), tasks(), communications()), uuids)
def test_every_mapped_element_survives_fhir_to_canonical_and_back(
    resource: dict[str, Any], message_id: str
) -> None:
    envelope = _canonical(resource, message_id)

    back, facts = cases.split_envelope(translate.from_canonical(envelope))
    native, answered = cases.split_envelope(resource)

    assert back == native
    assert {k: facts[k] for k in answered} == answered
    assert facts["messageId"] == message_id


# Task.status ⇄ canonical status


@pytest.mark.parametrize(
    ("task_status", "business", "status"),
    [
        ("requested", None, "assigned"),
        ("accepted", None, "accepted"),
        ("in-progress", None, "in_progress"),
        ("completed", None, "done"),
        ("rejected", None, "cannot_execute"),
        ("failed", None, "cannot_execute"),
        ("accepted", "overdue", "overdue"),
        ("in-progress", "overdue", "overdue"),
    ],
)
def test_task_statuses_map_to_action_statuses(
    task_status: str, business: str | None, status: str
) -> None:
    task = copy.deepcopy(cases.native("action_overdue"))
    task["status"] = task_status
    if business is None:
        del task["businessStatus"]

    payload = c.from_envelope(_canonical(task)).payload

    assert isinstance(payload, c.ActionStatusUpdate)
    assert payload.status == status


@pytest.mark.parametrize("task_status", ["draft", "received", "ready", "on-hold", "cancelled"])
def test_task_statuses_without_an_action_status_are_named(task_status: str) -> None:
    task = {**cases.native("action_status"), "status": task_status}

    error = _error(task)

    assert error.field == "Task.status"
    assert task_status in error.reason


def test_overdue_on_a_finished_task_is_refused() -> None:
    task = {**cases.native("action_overdue"), "status": "completed"}

    assert _error(task).field == "Task.businessStatus"


# Errors name the element


def _without(resource: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if k != key}


@pytest.mark.parametrize(
    ("name", "change", "field"),
    [
        ("referral", lambda r: _without(r, "authoredOn"), "ServiceRequest.authoredOn"),
        (
            "referral",
            lambda r: {**r, "authoredOn": "2026-03-15T09:20:00"},
            "ServiceRequest.authoredOn",
        ),
        ("referral", lambda r: {**r, "priority": "soon"}, "ServiceRequest.priority"),
        ("referral", lambda r: {**r, "status": "draft"}, "ServiceRequest.status"),
        (
            "referral",
            lambda r: {**r, "requester": {"reference": "#org"}},
            "ServiceRequest.requester",
        ),
        (
            "referral",
            lambda r: {**r, "subject": {"reference": "#nobody"}},
            "ServiceRequest.subject.reference",
        ),
        ("referral", lambda r: _without(r, "identifier"), "ServiceRequest.identifier"),
        ("action_status", lambda r: _without(r, "lastModified"), "Task.lastModified"),
        ("action_status", lambda r: _without(r, "owner"), "Task.owner"),
        ("action_status", lambda r: {**r, "identifier": []}, "Task.identifier"),
        ("information_response", lambda r: {**r, "status": "in-progress"}, "Communication.status"),
        ("information_response", lambda r: _without(r, "basedOn"), "Communication.basedOn"),
    ],
)
def test_a_missing_or_invalid_element_is_named_by_its_fhirpath(
    name: str, change: Callable[[dict[str, Any]], dict[str, Any]], field: str
) -> None:
    assert _error(change(copy.deepcopy(cases.native(name)))).field == field


def test_an_unknown_reason_code_is_named() -> None:
    referral = cases.native("referral")
    referral["reasonCode"][1]["coding"][0]["code"] = "gambling"

    error = _error(referral)

    assert error.field == "ServiceRequest.reasonCode[1].coding[0].code"
    assert error.reason == "unknown code 'gambling'"


def test_an_element_the_r4b_model_refuses_is_named_without_its_value() -> None:
    referral = cases.native("referral")
    referral["contained"][4]["birthDate"] = "13.03.2026"

    error = _error(referral)

    assert error.field == "ServiceRequest.contained[4].birthDate"
    assert "13.03.2026" not in error.reason


def test_an_unknown_element_is_refused() -> None:
    error = _error({**cases.native("action_status"), "dueDate": "2026-12-25"})

    assert (error.field, error.reason) == ("Task.dueDate", "not an element of this resource")


def test_a_resource_type_the_hub_does_not_take_is_refused() -> None:
    error = _error({"resourceType": "Patient", "id": "x"})

    assert error.field == "resourceType"


def test_a_message_type_without_a_fhir_form_is_named() -> None:
    with pytest.raises(TranslationError) as caught:
        translate.from_canonical(cases.sample("SurveyAct-1.0"))

    assert caught.value.field == "MessageType"


def test_referral_message_ids_are_stable_per_identifier() -> None:
    assert translate.message_id_for("ПЦ-1") == translate.message_id_for("ПЦ-1")
    assert translate.message_id_for("ПЦ-1") != translate.message_id_for("ПЦ-2")
