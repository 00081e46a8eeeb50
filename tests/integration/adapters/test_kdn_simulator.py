"""KdnTransport → the commission's SOAP simulator on loopback."""

import copy
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from lxml import etree

import schemas
from adapters.base import OutboundMessage, PartnerRejected, PartnerUnavailable
from adapters.kdn.simulator import create_app
from adapters.kdn.transport import KdnTransport
from adapters.simulation import SimulatorServer
from tests.integration.adapters.conftest import (
    RecordingHub,
    StartSimulator,
    StartWithHub,
    wait_for,
)
from tests.unit.adapters import golden

C = "{urn:family-hub:common:1}"
#: The commission started with a recording hub, and a transport to it.
CommissionAndHub = tuple[SimulatorServer, RecordingHub, KdnTransport]


def _message(envelope: etree._Element) -> OutboundMessage:
    header = schemas.read_header(envelope)
    return OutboundMessage(
        delivery_id=1,
        recipient="kdn",
        message_id=header.message_id,
        message_type="FamilyReferral",
        priority="urgent",
        envelope=etree.tostring(envelope),
    )


@pytest.fixture
def commission(start_simulator: StartSimulator, tmp_path: Path) -> SimulatorServer:
    return start_simulator(create_app, "kdn", tmp_path / "state")


@pytest.fixture
def transport(commission: SimulatorServer) -> Iterator[KdnTransport]:
    transport = KdnTransport(f"{commission.url}/soap", 5.0)
    yield transport
    transport.close()


def test_the_wsdl_describes_register_signal(commission: SimulatorServer) -> None:
    wsdl = httpx.get(f"{commission.url}/soap?wsdl")
    assert wsdl.status_code == 200
    assert f"{commission.url}/soap".encode() in wsdl.content
    assert b"RegisterSignal" in wsdl.content


def test_a_signal_is_registered_once_however_often_it_is_delivered(
    commission: SimulatorServer, transport: KdnTransport
) -> None:
    message = _message(golden.referral_envelope())

    first = transport.deliver(message)
    second = transport.deliver(message)

    assert first.remote_reference == second.remote_reference
    assert first.remote_reference is not None
    assert first.remote_reference.startswith("КДН-")
    state = httpx.get(f"{commission.url}/state").json()
    assert [item["message_id"] for item in state["received"]] == [message.message_id]
    assert state["counts"]["calls"] == 2
    assert [r["message_type"] for r in state["pending"]] == ["ReferralReceipt"]


def test_a_family_without_minors_is_a_client_fault_and_rejected(
    commission: SimulatorServer, transport: KdnTransport
) -> None:
    envelope = copy.deepcopy(golden.referral_envelope())
    for birth in envelope.iter(f"{C}BirthDate"):
        birth.text = "1990-01-01"

    with pytest.raises(PartnerRejected, match="no child under 18"):
        transport.deliver(_message(envelope))
    assert httpx.get(f"{commission.url}/state").json()["received"] == []


def test_an_outage_is_a_server_fault_and_unavailable(
    commission: SimulatorServer, transport: KdnTransport
) -> None:
    httpx.post(f"{commission.url}/control/outage", json={"failures": 1}).raise_for_status()

    with pytest.raises(PartnerUnavailable):
        transport.deliver(_message(golden.referral_envelope()))
    assert transport.deliver(_message(golden.referral_envelope())).remote_reference is not None


def test_a_commission_that_is_down_is_unavailable() -> None:
    transport = KdnTransport("http://127.0.0.1:9/soap", 2.0)
    with pytest.raises(PartnerUnavailable):
        transport.deliver(_message(golden.referral_envelope()))
    transport.close()


def test_a_hostile_soap_request_is_a_client_fault(commission: SimulatorServer) -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    answer = httpx.post(
        f"{commission.url}/soap", content=bomb, headers={"Content-Type": "text/xml"}
    )
    assert answer.status_code == 500
    assert b"soap:Client" in answer.content


def _document(code: str, name: str, case_ref: str = "KAM-2026-000147") -> OutboundMessage:
    envelope = golden.envelope(code, name)
    golden.set_text(envelope, "{*}Header/{*}MessageId", str(uuid.uuid5(uuid.NAMESPACE_URL, name)))
    golden.set_text(envelope, "{*}Header/{*}CaseRef", case_ref)
    header = schemas.read_header(envelope)
    return OutboundMessage(
        delivery_id=1,
        recipient="kdn",
        message_id=header.message_id,
        message_type=header.message_type,
        priority="routine",
        envelope=etree.tostring(envelope),
    )


@pytest.fixture
def commission_and_hub(start_with_hub: StartWithHub, tmp_path: Path) -> Iterator[CommissionAndHub]:
    server, hub = start_with_hub(create_app, "kdn", tmp_path / "state")
    transport = KdnTransport(f"{server.url}/soap", 5.0)
    yield server, hub, transport
    transport.close()


def test_the_wsdl_describes_register_document(commission: SimulatorServer) -> None:
    assert b"RegisterDocument" in httpx.get(f"{commission.url}/soap?wsdl").content


def test_survey_and_consent_lead_to_the_commissions_sop_decision(
    commission_and_hub: CommissionAndHub,
) -> None:
    server, hub, transport = commission_and_hub
    survey = _document("social", "survey_completed")

    first = transport.deliver(survey)
    again = transport.deliver(survey)
    assert hub.sent_of("CaseDecision") == []
    transport.deliver(_document("social", "consent_recorded"))
    wait_for(lambda: hub.sent_of("CaseDecision"))

    assert first.remote_reference == again.remote_reference
    assert first.remote_reference is not None
    assert first.remote_reference.startswith("КДН-Д-")
    (decision,) = [e for e in hub.sent if e.findtext("{*}Header/{*}MessageType") == "CaseDecision"]
    header = decision.find("{*}Header")
    assert header is not None
    assert header.findtext("{*}CaseRef") == "KAM-2026-000147"
    assert header.findtext("{*}CorrelationId") == survey.message_id
    assert decision.findtext(".//{*}DecisionBody/{*}Kind") == "kdn"
    assert decision.findtext(".//{*}CaseDecision/{*}Category") == "sop"
    assert decision.findtext(".//{*}CaseDecision/{*}RiskLevel") == "high"
    assert decision.findtext(".//{*}Curator/{*}Name/{*}LastName") == "Кузнецова"
    state = httpx.get(f"{server.url}/state").json()
    assert state["counts"]["received"] == {"SurveyAct": 1, "ConsentRecord": 1}


def test_every_case_document_is_filed(commission_and_hub: CommissionAndHub) -> None:
    server, _, transport = commission_and_hub
    names = [
        ("social", "plan_approved"),
        ("social", "case_closed"),
        ("social", "case_decided"),
        ("employment", "periodic_report"),
        ("employment", "action_status"),
        ("police", "answer"),
    ]
    for code, name in names:
        reference = transport.deliver(_document(code, name)).remote_reference
        assert reference is not None
        assert reference.startswith("КДН-Д-")

    state = httpx.get(f"{server.url}/state").json()
    assert state["counts"]["received"] == {
        "SupportPlan": 1,
        "CaseClosure": 1,
        "CaseDecision": 1,
        "PeriodicReport": 1,
        "ActionStatusUpdate": 1,
        "InformationResponse": 1,
    }


def test_a_decision_on_command_takes_the_bodys_resolution(
    commission_and_hub: CommissionAndHub,
) -> None:
    server, hub, _ = commission_and_hub

    answer = httpx.post(
        f"{server.url}/cases/KAM-2026-000200/decision",
        json={"Resolution": "отложить рассмотрение"},
    )
    refused = httpx.post(
        f"{server.url}/cases/KAM-2026-000200/decision", json={"RiskLevel": "огромный"}
    )

    assert answer.status_code == 202
    assert answer.json()["messages"][0]["status"] == "sent"
    (decision,) = hub.sent_of("CaseDecision")
    assert decision.case_ref == "KAM-2026-000200"
    assert refused.status_code == 422
    assert refused.json()["field"] == "RiskLevel"


def test_an_assignment_has_no_place_in_the_register_and_is_rejected(
    commission_and_hub: CommissionAndHub,
) -> None:
    _, _, transport = commission_and_hub
    with pytest.raises(PartnerRejected):
        transport.deliver(_document("social", "action_assigned"))


def test_a_decision_the_hub_refuses_is_a_soap_fault_at_the_gateway_and_refused_in_the_state(
    commission_and_hub: CommissionAndHub,
) -> None:
    server, hub, _ = commission_and_hub
    hub.refusing["CaseDecision"] = "routing.sender_not_allowed"

    answer = httpx.post(f"{server.url}/cases/KAM-2026-000201/decision", json={})

    assert answer.status_code == 202
    (message,) = answer.json()["messages"]
    assert (message["status"], message["error"]) == ("refused", "routing.sender_not_allowed")
    assert hub.sent_of("CaseDecision") == []
    state = httpx.get(f"{server.url}/state").json()
    assert [r["message_type"] for r in state["refused"]] == ["CaseDecision"]
