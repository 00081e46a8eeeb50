"""EmploymentTransport → the employment centre's simulator on loopback; its replies to a hub."""

import json
import uuid
from pathlib import Path

import httpx
import pytest
from lxml import etree

import schemas
from adapters.base import OutboundMessage, PartnerRejected, PartnerUnavailable
from adapters.employment.simulator import create_app
from adapters.employment.transport import EmploymentTransport
from tests.integration.adapters.conftest import (
    RecordingHub,
    ServerAndHub,
    StartSimulator,
    StartWithHub,
    wait_for,
)
from tests.unit.adapters import golden


def _golden(code: str, name: str) -> etree._Element:
    """A golden envelope with a MessageId of its own (the golden files share one)."""
    envelope = golden.envelope(code, name)
    golden.set_text(envelope, "{*}Header/{*}MessageId", str(uuid.uuid5(uuid.NAMESPACE_URL, name)))
    return envelope


def _outbound(envelope: etree._Element, delivery_id: int = 1) -> OutboundMessage:
    header = schemas.read_header(envelope)
    return OutboundMessage(
        delivery_id=delivery_id,
        recipient="employment",
        message_id=header.message_id,
        message_type=header.message_type,
        priority="routine",
        envelope=etree.tostring(envelope),
    )


def _statuses(hub: RecordingHub) -> list[tuple[str | None, str | None, str | None, str | None]]:
    """(action, status, CorrelationId, CaseRef) of every ActionStatusUpdate the hub got."""
    return [
        (
            e.findtext(".//{*}ActionStatusUpdate/{*}ActionId"),
            e.findtext(".//{*}ActionStatusUpdate/{*}Status"),
            schemas.read_header(e).correlation_id,
            schemas.read_header(e).case_ref,
        )
        for e in hub.sent
        if schemas.read_header(e).message_type == "ActionStatusUpdate"
    ]


@pytest.fixture
def centre(start_with_hub: StartWithHub, tmp_path: Path) -> ServerAndHub:
    return start_with_hub(create_app, "employment", tmp_path / "state")


def test_assigned_actions_are_accepted_then_worked_to_done(centre: ServerAndHub) -> None:
    server, hub = centre
    plan = _golden("social", "plan_approved")
    plan_id = plan.findtext("{*}Header/{*}MessageId")

    with EmploymentTransport.connect(server.url, 5.0) as transport:
        first = transport.deliver(_outbound(plan))
        again = transport.deliver(_outbound(plan, delivery_id=2))
    wait_for(lambda: len(_statuses(hub)) == 2)

    assert first.remote_reference == again.remote_reference
    assert first.remote_reference is not None
    assert first.remote_reference.startswith("ЦЗН-ВХ-")
    lines = ["ИПСС-2026-0147-03", "ИПСС-2026-0147-04"]
    assert _statuses(hub) == [(a, "accepted", plan_id, "KAM-2026-000147") for a in lines]

    for _ in range(2):
        httpx.post(f"{server.url}/control/advance").raise_for_status()
    wait_for(lambda: len(_statuses(hub)) == 6)

    assert [s[:2] for s in _statuses(hub)[2:]] == [
        (lines[0], "in_progress"),
        (lines[1], "in_progress"),
        (lines[0], "done"),
        (lines[1], "done"),
    ]
    state = httpx.get(f"{server.url}/state").json()
    assert {a["status"] for a in state["actions"].values()} == {"исполнено"}
    assert state["counts"]["received"] == {"SupportPlan": 1}


def test_an_assignment_for_an_action_of_the_plan_is_not_worked_twice(centre: ServerAndHub) -> None:
    server, hub = centre
    assignment = _golden("social", "action_assigned")

    with EmploymentTransport.connect(server.url, 5.0) as transport:
        transport.deliver(_outbound(_golden("social", "plan_approved")))
        transport.deliver(_outbound(assignment, delivery_id=2))
    wait_for(lambda: len(_statuses(hub)) == 3)

    assert [s[0] for s in _statuses(hub)] == [
        "ИПСС-2026-0147-03",
        "ИПСС-2026-0147-04",
        "ИПСС-2026-0147-05",
    ]


def test_an_information_request_is_answered_from_the_register(centre: ServerAndHub) -> None:
    server, hub = centre
    referral = golden.native("employment", "referral")
    httpx.post(f"{server.url}/referrals", json=referral).raise_for_status()
    request = _golden("social", "information_requested")
    person = request.find(".//{*}InformationRequest/{*}Person")
    assert person is not None
    golden.set_text(person, "{*}LastName", referral["applicant"]["surname"])
    golden.set_text(person, "{*}FirstName", referral["applicant"]["name"])

    with EmploymentTransport.connect(server.url, 5.0) as transport:
        transport.deliver(_outbound(request))
    wait_for(
        lambda: any(schemas.read_header(e).message_type == "InformationResponse" for e in hub.sent)
    )

    (answer,) = [
        e for e in hub.sent if schemas.read_header(e).message_type == "InformationResponse"
    ]
    header = schemas.read_header(answer)
    assert header.correlation_id == request.findtext("{*}Header/{*}MessageId")
    assert header.case_ref == "KAM-2026-000147"
    text = answer.findtext(".//{*}InformationResponse/{*}Answer")
    assert text is not None
    assert "безработн" in text


def test_a_referral_is_sent_once_however_often_it_is_registered(centre: ServerAndHub) -> None:
    server, hub = centre
    referral = golden.native("employment", "referral")

    first = httpx.post(f"{server.url}/referrals", json=referral)
    second = httpx.post(f"{server.url}/referrals", json=referral)

    assert first.status_code == second.status_code == 202
    assert first.json()["message_id"] == second.json()["message_id"]
    assert first.json()["status"] == "sent"
    (sent,) = hub.sent_of("FamilyReferral")
    assert sent.sender == "employment"


def test_a_bad_referral_is_refused_naming_the_field(centre: ServerAndHub) -> None:
    server, hub = centre
    referral = golden.native("employment", "referral")
    referral["children"][0]["sex"] = "м"

    answer = httpx.post(f"{server.url}/referrals", json=referral)

    assert answer.status_code == 422
    assert answer.json() == {"field": "children[0].sex", "reason": "unknown code 'м'"}
    assert hub.sent == []


def test_a_closure_stops_the_open_actions_and_a_report_covers_them(centre: ServerAndHub) -> None:
    server, _ = centre
    with EmploymentTransport.connect(server.url, 5.0) as transport:
        transport.deliver(_outbound(_golden("social", "plan_approved")))
        transport.deliver(_outbound(_golden("social", "case_closed"), delivery_id=2))

    assert httpx.post(f"{server.url}/control/advance").json() == {"advanced": 0}
    report = httpx.post(f"{server.url}/cases/KAM-2026-000147/report")
    assert report.status_code == 202
    assert report.json()["message_type"] == "PeriodicReport"
    assert httpx.post(f"{server.url}/cases/KAM-2026-000000/report").status_code == 404


def test_an_outage_is_unavailable_with_retry_after_and_junk_is_rejected(
    centre: ServerAndHub,
) -> None:
    server, _ = centre
    httpx.post(f"{server.url}/control/outage", json={"failures": 1, "status": 503})

    with EmploymentTransport.connect(server.url, 5.0) as transport:
        with pytest.raises(PartnerUnavailable) as caught:
            transport.deliver(_outbound(_golden("social", "plan_approved")))
        with pytest.raises(PartnerRejected):
            transport.deliver(_outbound(_golden("social", "survey_completed")))

    assert caught.value.retry_after_s == 1.0
    answer = httpx.post(
        f"{server.url}/api/v1/hub/records",
        content=json.dumps({"no": "kind"}),
        headers={"X-Hub-Message-Id": "x"},
    )
    assert answer.status_code == 400


def test_state_and_queued_replies_survive_a_restart(
    start_simulator: StartSimulator, tmp_path: Path
) -> None:
    state_dir = tmp_path / "state"
    first = start_simulator(create_app, "employment", state_dir)
    with EmploymentTransport.connect(first.url, 5.0) as transport:
        reference = transport.deliver(_outbound(_golden("social", "plan_approved")))
    first.stop()

    second = start_simulator(create_app, "employment", state_dir)
    with EmploymentTransport.connect(second.url, 5.0) as transport:
        again = transport.deliver(_outbound(_golden("social", "plan_approved"), 2))

    state = httpx.get(f"{second.url}/state").json()
    assert again.remote_reference == reference.remote_reference
    assert [r["message_type"] for r in state["pending"]] == ["ActionStatusUpdate"] * 2
