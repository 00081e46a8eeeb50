"""kill -9 mid-batch: the lease runs out, the sweeper wakes the lane, a new worker re-sends that
batch and nothing else."""

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hub.store import DeliveryStatus, OutboxDelivery
from queues import PartnerTransports, build_broker, declare_actors
from tests.integration.queues.http_partner import HTTP_ADAPTER, HttpPartner
from tests.integration.queues.queue_helpers import Outbox, make_context, wait_until

REPO = Path(__file__).resolve().parents[3]

#: Starts a worker process whose output goes to ``<tmp_path>/<name>.log``.
Spawn = Callable[[str], "subprocess.Popen[bytes]"]


@pytest.fixture
def spawn_worker(
    database_url: str, redis_url: str, data_dir: Path, tmp_path: Path
) -> Iterator[Spawn]:
    """Start ``run_worker`` processes (lease 3 s, batches of 20, sweep every 0.1 s); kill leftovers
    after."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "HUB_DATA_DIR": str(data_dir),
        "HUB_DELIVERY_LEASE_S": "3",
        "HUB_DELIVERY_BATCH_SIZE": "20",
        "HUB_SWEEP_INTERVAL_S": "0.1",
        "HUB_STUCK_AFTER_S": "60",
        "HUB_WORKER_THREADS": "1",
        # Shorter than the lease (Settings insists); A is killed well inside it.
        "HUB_DELIVERY_TIMEOUT_S": "2.5",
        "PYTHONPATH": str(REPO),
    }
    processes: list[subprocess.Popen[bytes]] = []

    def spawn(name: str) -> subprocess.Popen[bytes]:
        with (tmp_path / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.integration.queues.worker_process"],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)
        return process

    yield spawn
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_a_worker_killed_mid_batch_is_replaced_and_only_that_batch_sent_again(
    spawn_worker: Spawn, session_factory: sessionmaker[Session], redis_url: str, data_dir: Path
) -> None:
    with HttpPartner(hold_first=True) as receiver:
        # Given three pending rows for an HTTP partner, and their lane's wake in the broker
        outbox = Outbox(session_factory)
        outbox.partner("social", adapter=HTTP_ADAPTER.code, endpoint=receiver.url)
        ids = outbox.deliveries(3)
        context = make_context(session_factory, PartnerTransports(session_factory, {}, 1.0))
        broker, _ = build_broker(redis_url, data_dir=data_dir)
        try:
            declare_actors(broker, context).wake("social", "routine")
        finally:
            broker.close()

        # When worker A, having claimed the three in one batch, is killed while the partner
        # holds its request for the first
        first = spawn_worker("worker-a")
        assert receiver.first_arrived.wait(20), "worker A never called the partner"
        assert {outbox.get(i).status for i in ids} == {DeliveryStatus.IN_FLIGHT}
        first.send_signal(signal.SIGKILL)
        first.wait()

        # Then worker B's sweeper wakes the lane once A's lease ran out, and B delivers them
        second = spawn_worker("worker-b")

        def delivered() -> list[OutboxDelivery] | None:
            rows = [outbox.get(i) for i in ids]
            return rows if all(r.status is DeliveryStatus.DELIVERED for r in rows) else None

        rows = wait_until(delivered, timeout_s=20, what="the rows to be delivered by worker B")
        # And B stops cleanly on SIGTERM
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=20) == 0

    # A's attempts left no outcome (it died); B's are attempt 2, in one batch in id order.
    # The partner saw only the first message twice, with one MessageId to de-duplicate on;
    # the other two A never sent.
    assert [(r.attempts, r.remote_reference) for r in rows] == [
        (2, "ref-2"),
        (2, "ref-3"),
        (2, "ref-4"),
    ]
    assert [[(a.number, a.outcome) for a in r.attempt_log] for r in rows] == [
        [(2, "delivered")]
    ] * 3
    message_ids = [r.message.message_id for r in rows]
    assert receiver.received == [message_ids[0], *message_ids]
