"""Readiness: the database and the broker decide /readyz; ?workers=1 also needs a live worker."""

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.simulation import SimulatorServer
from hub.app import create_app
from hub.config import Settings
from hub.runtime import build_runtime
from hub.store import WorkerHeartbeat
from queues.heartbeat import new_worker_id, run_heartbeat
from signing import DevPki
from tests.conftest import POSTGRES_URL
from tests.stack import RunningHub, fast_settings, running_hub


@pytest.fixture
def http(hub_api: RunningHub) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hub_api.url, timeout=10) as client:
        yield client


def _heartbeat(hub: RunningHub, worker_id: str, *, age_s: float) -> None:
    now = datetime.now(UTC)
    with hub.runtime.session_factory.begin() as session:
        session.merge(
            WorkerHeartbeat(
                worker_id=worker_id,
                hostname="worker-host",
                pid=4242,
                started_at=now - timedelta(minutes=5),
                seen_at=now - timedelta(seconds=age_s),
            )
        )


def test_api_without_workers_is_ready_and_says_no_worker_is_alive(http: httpx.Client) -> None:
    ready = http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok"},
        "workers": {"alive": 0, "stale_after_s": 30.0},
    }

    whole_hub = http.get("/readyz", params={"workers": 1})
    assert whole_hub.status_code == 503
    assert whole_hub.json()["checks"]["workers"] == "no worker has reported in 30 s"


def test_fresh_heartbeat_makes_the_hub_ready_and_a_stale_one_does_not(
    hub_api: RunningHub, http: httpx.Client
) -> None:
    # Given a worker that reported 5 s ago
    _heartbeat(hub_api, "host:1:aaaa", age_s=5)

    # Then the whole hub is ready, with one worker alive
    ready = http.get("/readyz", params={"workers": 1})
    assert ready.status_code == 200
    assert ready.json()["checks"]["workers"] == "ok"
    assert ready.json()["workers"]["alive"] == 1

    # When its last report is 31 s old
    _heartbeat(hub_api, "host:1:aaaa", age_s=31)

    # Then it no longer counts
    stale = http.get("/readyz", params={"workers": 1})
    assert stale.status_code == 503
    assert stale.json()["workers"]["alive"] == 0
    assert http.get("/readyz").status_code == 200


def test_heartbeat_thread_writes_its_row_and_removes_it_on_stop(
    session_factory: sessionmaker[Session],
) -> None:
    worker_id = new_worker_id()
    stop = threading.Event()
    thread = threading.Thread(
        target=run_heartbeat,
        args=(session_factory, worker_id),
        kwargs={"clock": lambda: datetime.now(UTC), "stop": stop, "interval_s": 0.05},
    )
    thread.start()
    try:
        first = _wait_for_row(session_factory, worker_id)
        # It keeps refreshing seen_at while running.
        deadline = time.monotonic() + 5
        while _wait_for_row(session_factory, worker_id).seen_at <= first.seen_at:
            assert time.monotonic() < deadline, "the heartbeat was not refreshed"
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    with session_factory() as session:
        assert session.get(WorkerHeartbeat, worker_id) is None


def _wait_for_row(factory: sessionmaker[Session], worker_id: str) -> WorkerHeartbeat:
    deadline = time.monotonic() + 5
    while True:
        with factory() as session:
            row = session.scalars(
                select(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id)
            ).one_or_none()
            if row is not None:
                session.expunge(row)
                return row
        assert time.monotonic() < deadline, "no heartbeat row appeared"
        time.sleep(0.02)


@pytest.fixture(params=["sqlite", "postgresql"])
def unreachable_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database that does not answer: SQLite in a missing folder, a PostgreSQL db that is not."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'missing' / 'hub.db'}"
    request.getfixturevalue("postgres_admin_engine")  # skips when PostgreSQL is absent
    base, _, _ = POSTGRES_URL.rpartition("/")
    return f"{base}/no_such_database_for_readiness"


def test_database_down_makes_readiness_fail(
    unreachable_database_url: str, data_dir: Path, pki: DevPki
) -> None:
    settings = Settings(
        data_dir=data_dir, database_url=unreachable_database_url, broker_url="stub://"
    )
    runtime = build_runtime(settings)
    try:
        with (
            SimulatorServer(create_app(runtime)) as server,
            httpx.Client(base_url=server.url, timeout=10) as http,
        ):
            ready = http.get("/readyz")
            assert http.get("/healthz").status_code == 200
    finally:
        runtime.close()
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"].startswith("error: ")
    assert body["checks"]["broker"] == "ok"
    assert body["workers"]["alive"] == 0


def test_running_worker_reports_in_and_leaves_no_row_when_stopped(
    data_dir: Path,
    database_url: str,
    session_factory: sessionmaker[Session],
    redis_url: str,
    pki: DevPki,
) -> None:
    # Given the API and a real worker (run_worker) on Redis
    settings = fast_settings(data_dir, database_url, redis_url)
    with (
        running_hub(settings, pki, worker=True, simulators=False) as hub,
        httpx.Client(base_url=hub.url, timeout=10) as http,
    ):
        # Then the whole hub becomes ready once the worker's heartbeat lands
        deadline = time.monotonic() + 15
        while (ready := http.get("/readyz", params={"workers": 1})).status_code != 200:
            assert time.monotonic() < deadline, ready.json()
            time.sleep(0.1)
        assert ready.json()["workers"]["alive"] == 1

    # And a clean stop removes the worker's row
    with session_factory() as session:
        assert session.scalars(select(WorkerHeartbeat)).all() == []
