"""A partner's gateway killed with SIGKILL mid-stream and the hub stopped for a while: every
signal the police system handed over reaches the hub and the social centre once.

The gateway is a real ``hub gateway run`` process on its own spool; the hub's API (real
SQLite, a real worker on Redis) and the social centre's simulator run on loopback. The
police system is played by a feeder that, like any client, sends a record again when it got
no answer (the same КУСП number: the same MessageId).
"""

import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from adapters.police.translate import message_id_for
from adapters.simulation import SimulatorServer
from hub.app import create_app
from hub.onboarding import bundle_dir
from hub.store import MessageLog
from signing import DevPki
from tests.integration.gateway.conftest import wait_for
from tests.stack import RunningHub, fast_settings, running_hub
from tests.unit.adapters import golden
from tooling.rig import ProcessGroup, ProcessSpec, child_env, http_probe
from tooling.rig.ports import ReservedPort

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

#: Signals in each phase: before the crash, across it, while the hub is down.
PHASE = 8
#: How long the hub stays down: the issue's minute, with the gateway's sender retrying
#: (backoff capped at 0.3 s) all the while.
HUB_DOWN_S = 60.0


@pytest.fixture
def hub(data_dir: Path, database_url: str, redis_url: str, pki: DevPki) -> Iterator[RunningHub]:
    """The hub with a worker and the simulators (the social centre takes pushes)."""
    with running_hub(fast_settings(data_dir, database_url, redis_url), pki) as running:
        yield running


class Feeder:
    """The police system: posts each signal until the gateway answered it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.answers: dict[str, int] = {}

    def post_all(self, first: int, end: int) -> None:
        for number in range(first, end):
            self.post(number)

    def post(self, number: int) -> None:
        record = golden.native("police", "signal")
        record["kusp_number"] = f"КУСП-2026-{number:06d}"
        while True:
            try:
                answer = httpx.post(f"{self.url}/referrals", json=record, timeout=10)
            except httpx.TransportError:
                continue  # the gateway is down: the system sends the record again
            if answer.status_code in (200, 202):
                self.answers[record["kusp_number"]] = answer.status_code
                return
            pytest.fail(f"{record['kusp_number']}: {answer.status_code} {answer.text}")


def test_a_killed_gateway_and_a_stopped_hub_lose_and_double_nothing(
    hub: RunningHub, tmp_path: Path
) -> None:
    with ReservedPort() as hub_port, ExitGroup(tmp_path / "logs") as group:
        api = SimulatorServer(create_app(hub.runtime), port=hub_port.port).start()
        port = group.reserve_port()
        url = f"http://127.0.0.1:{port}"
        group.spawn(_gateway_spec(hub, hub_port.url, port, tmp_path / "spool.sqlite"))
        group.wait_until_ready()
        feeder = Feeder(url)
        # Given signals taken by the hub …
        for number in range(PHASE):
            feeder.post(number)
        # … when the gateway is killed while the police system is sending …
        stream = threading.Thread(target=feeder.post_all, args=(PHASE, 2 * PHASE), daemon=True)
        stream.start()
        wait_for(lambda: len(feeder.answers) >= PHASE + 2)
        group.restart("gateway")
        stream.join(timeout=60)
        # … and the hub is stopped for a minute while more come, and the gateway killed
        # once more …
        api.stop()
        stopped = time.monotonic()
        for number in range(2 * PHASE, 3 * PHASE):
            feeder.post(number)
        group.restart("gateway")
        time.sleep(max(0.0, HUB_DOWN_S - (time.monotonic() - stopped)))
        assert _status(url)["outgoing"]["waiting"] == PHASE
        api = SimulatorServer(create_app(hub.runtime), port=hub_port.port).start()
        try:
            # … then every signal is in the hub's log once, and the centre has each once.
            wait_for(lambda: _status(url)["outgoing"]["sent"] == 3 * PHASE, timeout_s=60)
        finally:
            api.stop()
    expected = {message_id_for(kusp) for kusp in feeder.answers}
    assert len(expected) == 3 * PHASE
    assert set(feeder.answers.values()) <= {200, 202}
    with hub.runtime.session_factory() as session:
        logged = list(
            session.scalars(select(MessageLog.message_id).where(MessageLog.sender == "police"))
        )
    assert sorted(logged) == sorted(expected)
    centre = hub.simulators["social"].url
    wait_for(lambda: _referrals(centre) >= expected)
    received = httpx.get(f"{centre}/state").json()["received"]
    referrals = [r["message_id"] for r in received if r["message_type"] == "FamilyReferral"]
    assert sorted(referrals) == sorted(expected)


class ExitGroup(ProcessGroup):
    """A process group that stops its processes when the ``with`` block ends."""

    def __enter__(self) -> "ExitGroup":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _gateway_spec(hub: RunningHub, hub_url: str, port: int, spool: Path) -> ProcessSpec:
    bundle = bundle_dir(hub.settings.data_dir, "police")
    command = [
        sys.executable, "-m", "hub.cli", "gateway", "run", "police", "--hub", hub_url,
        "--bundle", str(bundle), "--port", str(port), "--system", "http://127.0.0.1:9",
        "--spool", str(spool), "--max-backoff-s", "0.3",
    ]  # fmt: skip
    return ProcessSpec(
        "gateway", command, child_env({}), http_probe(f"http://127.0.0.1:{port}/gateway/status")
    )


def _status(url: str) -> dict[str, dict[str, int]]:
    answer: dict[str, dict[str, int]] = httpx.get(f"{url}/gateway/status").json()
    return answer


def _referrals(centre: str) -> set[str]:
    received = httpx.get(f"{centre}/state").json()["received"]
    return {r["message_id"] for r in received if r["message_type"] == "FamilyReferral"}
