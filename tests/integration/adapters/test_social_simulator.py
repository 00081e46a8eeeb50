"""SocialTransport → the centre's simulator over HTTP on loopback."""

from pathlib import Path

import httpx
import pytest
from lxml import etree

import schemas
from adapters.base import OutboundMessage, PartnerUnavailable
from adapters.simulation import SimulatorServer
from adapters.social.simulator import create_app
from adapters.social.transport import SocialTransport
from tests.integration.adapters.conftest import StartSimulator
from tests.unit.adapters import golden


def _referral(delivery_id: int) -> OutboundMessage:
    envelope = golden.referral_envelope()
    header = schemas.read_header(envelope)
    return OutboundMessage(
        delivery_id=delivery_id,
        recipient="social",
        message_id=header.message_id,
        message_type="FamilyReferral",
        priority="urgent",
        envelope=etree.tostring(envelope),
    )


@pytest.fixture
def centre(start_simulator: StartSimulator, tmp_path: Path) -> SimulatorServer:
    return start_simulator(create_app, "social", tmp_path / "state")


def test_a_referral_delivered_twice_is_stored_once_and_answered_twice(
    centre: SimulatorServer,
) -> None:
    transport = SocialTransport.connect(centre.url, 5.0)

    first = transport.deliver(_referral(1))
    second = transport.deliver(_referral(2))
    transport.close()

    assert first.remote_reference == second.remote_reference
    assert first.remote_reference is not None
    assert first.remote_reference.startswith("СРЦ-")
    state = httpx.get(f"{centre.url}/state").json()
    assert [item["message_id"] for item in state["received"]] == [_referral(1).message_id]
    assert state["counts"]["deliveries"] == 2
    # Hub down here: the receipt and the survey status wait in the outbox, queued once.
    assert [r["message_type"] for r in state["pending"]] == [
        "ReferralReceipt",
        "ActionStatusUpdate",
    ]


def test_an_outage_fails_the_next_deliveries_with_retry_after(centre: SimulatorServer) -> None:
    httpx.post(
        f"{centre.url}/control/outage", json={"failures": 1, "status": 503}
    ).raise_for_status()
    transport = SocialTransport.connect(centre.url, 5.0)

    with pytest.raises(PartnerUnavailable) as caught:
        transport.deliver(_referral(1))
    result = transport.deliver(_referral(2))
    transport.close()

    assert caught.value.retry_after_s == 1.0
    assert result.remote_reference is not None


def test_state_and_queued_replies_survive_a_restart(
    start_simulator: StartSimulator, tmp_path: Path
) -> None:
    state_dir = tmp_path / "state"
    first = start_simulator(create_app, "social", state_dir)
    transport = SocialTransport.connect(first.url, 5.0)
    reference = transport.deliver(_referral(1)).remote_reference
    transport.close()
    first.stop()

    second = start_simulator(create_app, "social", state_dir)
    transport = SocialTransport.connect(second.url, 5.0)
    again = transport.deliver(_referral(2)).remote_reference
    transport.close()

    state = httpx.get(f"{second.url}/state").json()
    assert again == reference
    assert len(state["pending"]) == 2
