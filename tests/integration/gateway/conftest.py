"""Gateways beside a real hub: the hub's API on loopback (real SQLite, real signatures), each
gateway's native app served on port 0 with the partner's onboarded bundle and its own spool."""

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from adapters.gateway.process import Gateway, GatewayOptions
from adapters.simulation import SimulatorServer
from hub.onboarding import bundle_dir
from signing import DevPki
from tests.stack import RunningHub, fast_settings, quick_gateway, running_hub

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

#: The partners registered in pull mode: their gateways deliver the hub's copies.
PULLED = ("social", "kdn")
#: Nothing listens here (the discard port): the hub "down".
NO_HUB = "http://127.0.0.1:9"


class Gateways:
    """Starts gateways for partners of ``hub``; stops them all at the end."""

    def __init__(self, hub: RunningHub, tmp_path: Path, cleanup: ExitStack) -> None:
        self.hub = hub
        self._tmp = tmp_path
        self._cleanup = cleanup

    def options(
        self, code: str, *, hub_url: str | None = None, system: str = NO_HUB
    ) -> GatewayOptions:
        return quick_gateway(
            code,
            hub_url=hub_url or self.hub.url,
            bundle=bundle_dir(self.hub.settings.data_dir, code),
            system=system,
            spool=self._tmp / f"gateway-{code}" / "spool.sqlite",
        )

    def start(self, options: GatewayOptions) -> tuple[Gateway, SimulatorServer]:
        gateway = Gateway(options)
        self._cleanup.callback(gateway.close)
        server = SimulatorServer(gateway.app).start()
        self._cleanup.callback(server.stop)
        return gateway, server


@pytest.fixture
def hub_with_pull(
    data_dir: Path, database_url: str, redis_url: str, pki: DevPki
) -> Iterator[RunningHub]:
    """The hub's API and a worker; the partners with a gateway test in pull mode."""
    settings = fast_settings(data_dir, database_url, redis_url)
    with running_hub(settings, pki, simulators=False, pull=PULLED) as running:
        yield running


@pytest.fixture
def gateways(hub_with_pull: RunningHub, tmp_path: Path) -> Iterator[Gateways]:
    with ExitStack() as cleanup:
        yield Gateways(hub_with_pull, tmp_path, cleanup)


def wait_for(condition: Callable[[], object], *, timeout_s: float = 30.0) -> None:
    """Poll ``condition`` until it is true, or fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        time.sleep(0.05)


def status(server: SimulatorServer) -> dict[str, dict[str, int]]:
    """The gateway's spool counts (``GET /gateway/status``)."""
    answer: dict[str, dict[str, int]] = httpx.get(f"{server.url}/gateway/status").json()
    return answer
