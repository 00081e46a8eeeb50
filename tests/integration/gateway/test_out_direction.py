"""Out: the hub's copies for a pull partner, pulled by its gateway, delivered into the real
social centre simulator with its own transport, and acked only once the centre took them."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from adapters.police.translate import message_id_for
from adapters.simulation import SimulatorServer
from adapters.social import simulator as social_simulator
from hub.store import DeliveryStatus, OutboxDelivery
from tests.integration.gateway.conftest import Gateways, status, wait_for
from tests.unit.adapters import golden

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def centre(gateways: Gateways, tmp_path: Path) -> Iterator[SimulatorServer]:
    """The social centre's own system (the simulator), which the gateway delivers into."""
    client = gateways.hub.client("social")
    server = SimulatorServer(social_simulator.create_app(tmp_path / "centre", client)).start()
    yield server
    server.stop()
    client.close()


def _social_deliveries(gateways: Gateways) -> list[DeliveryStatus]:
    with gateways.hub.runtime.session_factory() as session:
        rows = session.scalars(select(OutboxDelivery).where(OutboxDelivery.recipient == "social"))
        return [row.status for row in rows]


def test_a_signal_reaches_the_centre_once_and_is_acked_after_an_outage_of_the_centre(
    gateways: Gateways, centre: SimulatorServer
) -> None:
    # Given the centre's system refuses its next two deliveries (down) …
    httpx.post(f"{centre.url}/control/outage", json={"failures": 2, "status": 503})
    _, police = gateways.start(gateways.options("police"))
    _, social = gateways.start(gateways.options("social", system=centre.url))
    signal = golden.native("police", "signal")

    # … when police register a signal through their gateway …
    assert httpx.post(f"{police.url}/referrals", json=signal, timeout=30).status_code == 200

    # … the centre gets it once it is up again, the hub's copy is acked once it took it.
    wait_for(lambda: _social_deliveries(gateways) == [DeliveryStatus.DELIVERED])
    received = httpx.get(f"{centre.url}/state").json()["received"]
    assert [(r["message_id"], r["message_type"], r["deliveries"]) for r in received] == [
        (message_id_for(signal["kusp_number"]), "FamilyReferral", 1)
    ]
    report = status(social)
    assert report["incoming"] == {"delivered": 1, "rejected": 0}
    assert "centre answered 503" in str(report["last_error"])
