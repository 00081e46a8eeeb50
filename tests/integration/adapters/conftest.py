"""Simulators as real servers on loopback, with partner credentials from a tmp dev PKI.

No hub runs here: the simulators' hub URL points at a closed port, so their replies stay
queued (``pending``) in their state, which is what the tests observe.
"""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette

from adapters.hub_client import HubClient
from adapters.simulation import SimulatorServer
from signing import DevPki
from tests.unit.adapters.credentials import partner_credentials

#: Nothing listens here (the discard port): every hub call fails at once with a refusal.
NO_HUB = "http://127.0.0.1:9"

StartSimulator = Callable[[Callable[[Path, HubClient], Starlette], str, Path], SimulatorServer]


@pytest.fixture(scope="session")
def dev_pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    pki = DevPki(tmp_path_factory.mktemp("pki"))
    pki.init()
    return pki


@pytest.fixture
def start_simulator(dev_pki: DevPki, tmp_path: Path) -> Iterator[StartSimulator]:
    """Start ``create_app`` for partner ``code`` with ``state_dir``; stopped after the test."""
    running: list[tuple[SimulatorServer, HubClient]] = []

    def start(create_app, code: str, state_dir: Path) -> SimulatorServer:
        credentials = partner_credentials(
            dev_pki, code, f"Организация {code}", tmp_path / f"cred-{code}"
        )
        hub = HubClient(NO_HUB, credentials)
        server = SimulatorServer(create_app(state_dir, hub)).start()
        running.append((server, hub))
        return server

    yield start
    for server, hub in running:
        server.stop()
        hub.close()
