"""HealthTransport → the perinatal centre's simulator over HTTP on loopback.

No gateway runs (see ``tests/integration/adapters/conftest.py``): the centre's replies stay
queued in its state as FHIR resources, where the tests read them back translated as its
gateway translates them; one test runs the centre behind its gateway.
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from lxml import etree

import schemas
from adapters.base import OutboundMessage, PartnerRejected, PartnerUnavailable
from adapters.health.simulator import create_app
from adapters.health.translate import message_id_for, to_canonical
from adapters.health.transport import HealthTransport
from adapters.simulation import SimulatorServer
from schemas import canonical as c
from tests.integration.adapters.conftest import (
    StartSimulator,
    StartWithHub,
    payload_as,
    wait_for,
)
from tests.unit.adapters.health import cases


def _message(sample: str, delivery_id: int = 1) -> OutboundMessage:
    envelope = cases.sample(sample)
    header = schemas.read_header(envelope)
    return OutboundMessage(
        delivery_id=delivery_id,
        recipient="health",
        message_id=header.message_id,
        message_type=header.message_type,
        priority="routine",
        envelope=etree.tostring(envelope),
    )


def _replies(state_dir: Path) -> list[c.CanonicalMessage]:
    """The resources queued in the centre's state file for its gateway, translated as the
    gateway translates them."""
    state = json.loads((state_dir / "state.json").read_text(encoding="utf-8"))
    return [
        c.from_envelope(
            to_canonical(json.loads(reply["body"]), message_id=reply["key"], now=datetime.now(UTC))
        )
        for reply in state.get("outbox", [])
    ]


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def centre(start_simulator: StartSimulator, state_dir: Path) -> SimulatorServer:
    return start_simulator(create_app, "health", state_dir)


@pytest.fixture
def transport(centre: SimulatorServer) -> Iterator[HealthTransport]:
    transport = HealthTransport.connect(centre.url, 5.0)
    yield transport
    transport.close()


def test_an_assignment_delivered_twice_is_stored_once_and_accepted_then_completed(
    centre: SimulatorServer, transport: HealthTransport, state_dir: Path
) -> None:
    assignment = _message("ActionAssignment-1.0")
    first = transport.deliver(assignment)
    second = transport.deliver(_message("ActionAssignment-1.0", delivery_id=2))

    assert first.remote_reference == second.remote_reference
    assert first.remote_reference is not None
    assert first.remote_reference.startswith("Task/")
    state = httpx.get(f"{centre.url}/state").json()
    assert [(r["message_id"], r["message_type"]) for r in state["received"]] == [
        (assignment.message_id, "ActionAssignment")
    ]
    assert state["counts"]["deliveries"] == 2

    advanced = httpx.post(f"{centre.url}/control/advance").json()

    assert advanced == {"advanced": 1}
    replies = _replies(state_dir)
    assert [payload_as(r, c.ActionStatusUpdate).status for r in replies] == ["accepted", "done"]
    case_ref = cases.sample("ActionAssignment-1.0").findtext("{*}Header/{*}CaseRef")
    for reply in replies:
        assert reply.header.message_type == "ActionStatusUpdate"
        assert reply.header.sender == "health"
        assert reply.header.correlation_id == assignment.message_id
        assert reply.header.case_ref == case_ref
    assert payload_as(replies[1], c.ActionStatusUpdate).evidence_ref is not None


def test_a_support_plan_is_a_transaction_and_its_health_action_is_accepted(
    centre: SimulatorServer, transport: HealthTransport, state_dir: Path
) -> None:
    result = transport.deliver(_message("SupportPlan-1.0"))

    assert result.remote_reference is not None
    assert result.remote_reference.startswith("Bundle/")
    (reply,) = _replies(state_dir)
    update = payload_as(reply, c.ActionStatusUpdate)
    assert update.action_id == "ИПСС-0457-03"
    assert update.plan_id == "ИПСС-0457"
    assert reply.header.correlation_id == _message("SupportPlan-1.0").message_id


def test_an_information_request_is_answered_with_health_information(
    centre: SimulatorServer, transport: HealthTransport, state_dir: Path
) -> None:
    transport.deliver(_message("InformationRequest-1.0"))

    (reply,) = _replies(state_dir)
    assert isinstance(reply.payload, c.InformationResponse)
    assert reply.payload.health_information is not None
    assert reply.header.correlation_id == _message("InformationRequest-1.0").message_id


def test_a_closure_stops_the_open_actions_of_the_case(
    centre: SimulatorServer, transport: HealthTransport, state_dir: Path
) -> None:
    transport.deliver(_message("ActionAssignment-1.0"))
    transport.deliver(_message("CaseClosure-1.0"))

    assert httpx.post(f"{centre.url}/control/advance").json() == {"advanced": 0}
    assert [payload_as(r, c.ActionStatusUpdate).status for r in _replies(state_dir)] == ["accepted"]


def test_an_invalid_resource_is_answered_with_an_operation_outcome(centre: SimulatorServer) -> None:
    response = httpx.post(
        f"{centre.url}/fhir/Task",
        json={"resourceType": "Task", "intent": "order"},
        headers={"X-Hub-Message-Id": "6a7b8c9d-0e1f-4a2b-8c3d-4e5f60718293"},
    )

    assert response.status_code == 422
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["expression"] == ["Task.status"]
    assert httpx.get(f"{centre.url}/state").json()["received"] == []


def test_a_request_without_a_message_id_is_refused(centre: SimulatorServer) -> None:
    response = httpx.post(f"{centre.url}/fhir/Task", json={})

    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["X-Hub-Message-Id"]


def test_an_outage_fails_the_next_delivery_with_retry_after(
    centre: SimulatorServer, transport: HealthTransport
) -> None:
    httpx.post(f"{centre.url}/control/outage", json={"failures": 1}).raise_for_status()

    with pytest.raises(PartnerUnavailable) as caught:
        transport.deliver(_message("ActionAssignment-1.0"))
    result = transport.deliver(_message("ActionAssignment-1.0", delivery_id=2))

    assert caught.value.retry_after_s == 1.0
    assert result.remote_reference is not None


def test_an_outage_with_a_client_error_is_a_rejection(
    centre: SimulatorServer, transport: HealthTransport
) -> None:
    httpx.post(f"{centre.url}/control/outage", json={"failures": 1, "status": 409})

    with pytest.raises(PartnerRejected):
        transport.deliver(_message("CaseDecision-1.0"))


def test_a_doctors_referral_is_queued_for_the_hub_once(
    centre: SimulatorServer, state_dir: Path
) -> None:
    referral = cases.native("referral")

    first = httpx.post(f"{centre.url}/referrals", json=referral)
    again = httpx.post(f"{centre.url}/referrals", json=referral)

    assert first.status_code == again.status_code == 202
    # No gateway here: the referral waits in the outbox, queued once.
    assert first.json()["status"] == "pending"
    (queued,) = _replies(state_dir)
    assert queued.header.message_type == "FamilyReferral"
    assert queued.header.priority == "urgent"


def test_a_doctors_referral_reaches_the_hub_through_the_gateway_once(
    start_with_hub: StartWithHub, tmp_path: Path
) -> None:
    centre, hub = start_with_hub(create_app, "health", tmp_path / "state")
    referral = cases.native("referral")

    first = httpx.post(f"{centre.url}/referrals", json=referral)
    again = httpx.post(f"{centre.url}/referrals", json=referral)

    # The gateway derived the MessageId from the referral's identifier and signed it
    assert first.status_code == again.status_code == 202
    assert first.json()["status"] == "sent"
    expected_id = message_id_for("ПЦ-2026/00318")
    assert first.json()["message_id"] == expected_id
    wait_for(lambda: hub.sent_of("FamilyReferral"))
    assert [h.message_id for h in hub.sent_of("FamilyReferral")] == [expected_id]


def test_an_invalid_referral_is_answered_with_the_element_at_fault(centre: SimulatorServer) -> None:
    referral = {k: v for k, v in cases.native("referral").items() if k != "authoredOn"}

    response = httpx.post(f"{centre.url}/referrals", json=referral)

    assert response.status_code == 422
    assert response.json()["issue"][0]["expression"] == ["ServiceRequest.authoredOn"]


def test_state_and_queued_replies_survive_a_restart(
    start_simulator: StartSimulator, state_dir: Path
) -> None:
    first = start_simulator(create_app, "health", state_dir)
    transport = HealthTransport.connect(first.url, 5.0)
    reference = transport.deliver(_message("ActionAssignment-1.0")).remote_reference
    transport.close()
    first.stop()

    second = start_simulator(create_app, "health", state_dir)
    transport = HealthTransport.connect(second.url, 5.0)
    again = transport.deliver(_message("ActionAssignment-1.0", delivery_id=2)).remote_reference
    transport.close()

    state = httpx.get(f"{second.url}/state").json()
    assert again == reference
    assert [r["message_type"] for r in state["pending"]] == ["ActionStatusUpdate"]


def test_a_referral_the_hub_refuses_comes_back_as_refused_with_its_code(
    start_with_hub: StartWithHub, tmp_path: Path
) -> None:
    centre, hub = start_with_hub(create_app, "health", tmp_path / "state")
    hub.refusing["FamilyReferral"] = "routing.sender_not_allowed"

    answer = httpx.post(f"{centre.url}/referrals", json=cases.native("referral"))

    assert answer.status_code == 202
    assert (answer.json()["status"], answer.json()["error"]) == (
        "refused",
        "routing.sender_not_allowed",
    )
    assert hub.sent == []
