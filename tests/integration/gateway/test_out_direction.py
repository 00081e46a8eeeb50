"""Out: the hub's copies for a pull partner, pulled by its gateway, delivered into the real
simulator of its system with the adapter's own transport (REST webhook, SOAP), and acked
only once the system took them."""

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from sqlalchemy import select

from adapters.hub_client import HubClient
from adapters.kdn import simulator as kdn_simulator
from adapters.police.translate import message_id_for
from adapters.simulation import SimulatorServer
from adapters.social import simulator as social_simulator
from hub.store import DeliveryStatus, OutboxDelivery
from tests.integration.gateway.conftest import Gateways, status, wait_for
from tests.unit.adapters import golden

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

#: Starts a partner system's simulator.
StartSystem = Callable[[str, ModuleType], SimulatorServer]


@pytest.fixture
def start_system(gateways: Gateways, tmp_path: Path) -> Iterator[StartSystem]:
    """Start a partner's own system (its simulator), which its gateway delivers into."""
    running: list[tuple[SimulatorServer, HubClient]] = []

    def start(code: str, module: ModuleType) -> SimulatorServer:
        client = gateways.hub.client(code)
        server = SimulatorServer(module.create_app(tmp_path / code, client)).start()
        running.append((server, client))
        return server

    yield start
    for server, client in running:
        server.stop()
        client.close()


def _deliveries(gateways: Gateways, recipient: str) -> list[DeliveryStatus]:
    with gateways.hub.runtime.session_factory() as session:
        rows = session.scalars(select(OutboxDelivery).where(OutboxDelivery.recipient == recipient))
        return [row.status for row in rows]


@pytest.mark.parametrize(
    ("code", "module", "path", "error"),
    [
        ("social", social_simulator, "", "centre answered 503"),
        ("kdn", kdn_simulator, "/soap", "commission fault"),
    ],
)
def test_a_signal_reaches_the_system_once_and_is_acked_after_an_outage_of_it(
    gateways: Gateways,
    start_system: StartSystem,
    code: str,
    module: ModuleType,
    path: str,
    error: str,
) -> None:
    # Given the partner's system refuses its next two deliveries (down) …
    system = start_system(code, module)
    httpx.post(f"{system.url}/control/outage", json={"failures": 2, "status": 503})
    _, police = gateways.start(gateways.options("police"))
    _, gateway = gateways.start(gateways.options(code, system=system.url + path))
    signal = golden.native("police", "signal")

    # … when police register a signal through their gateway …
    assert httpx.post(f"{police.url}/referrals", json=signal, timeout=30).status_code == 200

    # … the system gets it once it is up again, the hub's copy is acked once it took it.
    wait_for(lambda: _deliveries(gateways, code) == [DeliveryStatus.DELIVERED])
    received = httpx.get(f"{system.url}/state").json()["received"]
    assert [(r["message_id"], r["message_type"]) for r in received] == [
        (message_id_for(signal["kusp_number"]), "FamilyReferral")
    ]
    report = status(gateway)
    assert report["incoming"] == {"offered": 0, "delivered": 1, "rejected": 0}
    assert error in str(report["last_error"])


def test_the_police_system_pulls_native_notifications_and_its_ack_reaches_the_hub(
    gateways: Gateways,
) -> None:
    _, police = gateways.start(gateways.options("police"))
    _, social = gateways.start(gateways.options("social"))
    signal = golden.native("police", "signal")
    assert httpx.post(f"{police.url}/referrals", json=signal, timeout=30).status_code == 200
    event = golden.native("social", "referral_registered")
    event["referral_message_id"] = message_id_for(signal["kusp_number"])
    assert httpx.post(f"{social.url}/events", json=event, timeout=30).status_code == 200

    # The centre's receipt waits for the police: listed natively, acked by the system …
    listing = httpx.get(f"{police.url}/notifications", timeout=30).json()["notifications"]
    (notification,) = listing
    assert notification["message_type"] == "ReferralReceipt"
    assert notification["record"]["kind"] == "receipt"
    assert status(police)["incoming"] == {"offered": 1, "delivered": 0, "rejected": 0}
    assert _deliveries(gateways, "police") == [DeliveryStatus.IN_FLIGHT]
    ack = httpx.post(f"{police.url}/notifications/{notification['delivery_id']}/ack", timeout=30)

    # … and only then at the hub.
    assert ack.status_code == 200, ack.text
    assert _deliveries(gateways, "police") == [DeliveryStatus.DELIVERED]
    assert status(police)["incoming"] == {"offered": 0, "delivered": 1, "rejected": 0}
    assert httpx.get(f"{police.url}/notifications", timeout=30).json() == {"notifications": []}


def test_an_ack_of_an_unknown_delivery_is_refused_with_the_hubs_code(gateways: Gateways) -> None:
    _, police = gateways.start(gateways.options("police"))

    ack = httpx.post(f"{police.url}/notifications/999999/ack", timeout=30)

    assert ack.status_code == 404, ack.text
    assert ack.json()["code"].endswith("not_found")
