"""KdnTransport (zeep) → the commission's SOAP simulator on loopback."""

import copy

import httpx
import pytest
from lxml import etree

from adapters.base import OutboundMessage, PartnerRejected, PartnerUnavailable
from adapters.kdn.simulator import create_app
from adapters.kdn.transport import KdnTransport
from tests.unit.adapters import golden

C = "{urn:family-hub:common:1}"


def _message(envelope: etree._Element) -> OutboundMessage:
    return OutboundMessage(
        delivery_id=1,
        recipient="kdn",
        message_id=envelope.findtext("{*}Header/{*}MessageId"),
        message_type="FamilyReferral",
        priority="urgent",
        envelope=etree.tostring(envelope),
    )


@pytest.fixture
def commission(start_simulator, tmp_path):
    return start_simulator(create_app, "kdn", tmp_path / "state")


@pytest.fixture
def transport(commission):
    transport = KdnTransport(f"{commission.url}/soap", 5.0)
    yield transport
    transport.close()


def test_the_wsdl_describes_register_signal(commission):
    wsdl = httpx.get(f"{commission.url}/soap?wsdl")
    assert wsdl.status_code == 200
    assert f"{commission.url}/soap".encode() in wsdl.content
    assert b"RegisterSignal" in wsdl.content


def test_a_signal_is_registered_once_however_often_it_is_delivered(commission, transport):
    message = _message(golden.referral_envelope())

    first = transport.deliver(message)
    second = transport.deliver(message)

    assert first.remote_reference == second.remote_reference
    assert first.remote_reference.startswith("КДН-")
    state = httpx.get(f"{commission.url}/state").json()
    assert [item["message_id"] for item in state["received"]] == [message.message_id]
    assert state["counts"]["calls"] == 2
    assert [r["message_type"] for r in state["pending"]] == ["ReferralReceipt"]


def test_a_family_without_minors_is_a_client_fault_and_rejected(commission, transport):
    envelope = copy.deepcopy(golden.referral_envelope())
    for birth in envelope.iter(f"{C}BirthDate"):
        birth.text = "1990-01-01"

    with pytest.raises(PartnerRejected, match="no child under 18"):
        transport.deliver(_message(envelope))
    assert httpx.get(f"{commission.url}/state").json()["received"] == []


def test_an_outage_is_a_server_fault_and_unavailable(commission, transport):
    httpx.post(f"{commission.url}/control/outage", json={"failures": 1}).raise_for_status()

    with pytest.raises(PartnerUnavailable):
        transport.deliver(_message(golden.referral_envelope()))
    assert transport.deliver(_message(golden.referral_envelope())).remote_reference is not None


def test_a_commission_that_is_down_is_unavailable():
    transport = KdnTransport("http://127.0.0.1:9/soap", 2.0)
    with pytest.raises(PartnerUnavailable):
        transport.deliver(_message(golden.referral_envelope()))
    transport.close()


def test_a_hostile_soap_request_is_a_client_fault(commission):
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    answer = httpx.post(
        f"{commission.url}/soap", content=bomb, headers={"Content-Type": "text/xml"}
    )
    assert answer.status_code == 500
    assert b"soap:Client" in answer.content
