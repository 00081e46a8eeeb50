"""The school's exchange folder fills up: deliveries wait and retry, nothing partial is left
for the school to read, and once space is back each message lands exactly once.

Each failure ends the worker's batch and gives the rest back, due at once, for the next
wake. Which of the three that do not fit is tried next depends on timing (the failed one's
retry may already be due, and the claim takes rows in order), so the test asks for one
failure at least and the rest waiting, not for a failure of each.

The full disk is real: the school's folder is a small tmpfs mounted for the test (the
test runs as root), filled by a stand-in for the school's own archive. A real
``hub worker`` process on a private Redis writes the files through the education
adapter; the outbox rows are inserted directly (ingest is not under test).
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy.orm import Session, sessionmaker

from adapters.education import ExchangeFolder
from adapters.education.folders import ready_files
from hub.store import DeliveryStatus, OutboxDelivery
from queues import EmbeddedRedis, PartnerTransports, build_broker, declare_actors
from signing import DevPki
from tests.integration.queues.queue_helpers import Outbox, make_context, wait_until
from tests.unit.adapters.education import golden
from tooling.rig import ProcessGroup, ProcessSpec, child_env

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

#: The school's share, in bytes: room for the school's archive and a few files.
SHARE_BYTES = 256 * 1024
#: Free pages left on the share while it is "full": room for this many files (each
#: golden file is under one page), not for all five messages.
PAGES_LEFT = 2
#: What the hub records for each attempt that found the share full.
DISK_FULL_ERROR = (
    "PartnerUnavailable: school folder not writable: No space left on device (OSError, errno 28)"
)
#: Retries outlast the full disk: the point is waiting, not the dead letters.
WORKER_ENV = {
    "HUB_DELIVERY_MAX_RETRIES": "50",
    "HUB_DELIVERY_MIN_BACKOFF_MS": "50",
    "HUB_DELIVERY_MAX_BACKOFF_MS": "300",
    "HUB_CIRCUIT_COOLDOWN_S": "0.3",
    "HUB_CIRCUIT_MAX_COOLDOWN_S": "0.6",
    "HUB_SWEEP_INTERVAL_S": "0.2",
    "HUB_STUCK_AFTER_S": "60",
    "HUB_WORKER_THREADS": "2",
    "HUB_LOG_FORMAT": "text",
}


@dataclass
class Share:
    """A tmpfs mounted as the school's exchange folder; ``fill`` and ``free`` its space."""

    folder: ExchangeFolder

    @property
    def filler(self) -> Path:
        return self.folder.archive / "taken-by-the-school.bin"

    def free_pages(self) -> int:
        stats = os.statvfs(self.folder.path)
        return stats.f_bavail

    def fill(self, *, pages_left: int) -> None:
        """Fill the share with the filler file but for ``pages_left`` pages."""
        page = os.statvfs(self.folder.path).f_frsize
        self.filler.write_bytes(b"\0" * (self.free_pages() - pages_left) * page)
        assert self.free_pages() == pages_left

    def free(self) -> None:
        self.filler.unlink()


@pytest.fixture
def share(tmp_path: Path) -> Iterator[Share]:
    mount_point = tmp_path / "exchange" / golden.SCHOOL
    mount_point.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SHARE_BYTES},mode=0755", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs (the test needs root): {mounted.stderr.strip()}")
    try:
        yield Share(ExchangeFolder(mount_point).create())
    finally:
        subprocess.run(["umount", "--lazy", str(mount_point)], check=True)


@pytest.fixture
def worker_env(
    database_url: str, data_dir: Path, pki: DevPki, session_factory: sessionmaker[Session]
) -> Iterator[dict[str, str]]:
    """The environment of a ``hub worker`` on a private Redis and the migrated database."""
    with EmbeddedRedis(data_dir) as redis:
        yield child_env(
            {
                **WORKER_ENV,
                "DATABASE_URL": database_url,
                "REDIS_URL": redis.url,
                "HUB_DATA_DIR": str(data_dir),
            }
        )


def _rows(session_factory: sessionmaker[Session], ids: list[int]) -> list[OutboxDelivery]:
    outbox = Outbox(session_factory)
    return [outbox.get(i) for i in ids]


def _file_name(row: OutboxDelivery) -> str:
    """The name of the file a delivered row wrote (its remote reference is ``outbox/<name>``)."""
    assert row.remote_reference is not None
    return row.remote_reference.removeprefix("outbox/")


def _outbox_names(share: Share) -> list[str]:
    """Everything in the school's outbox, temporary files included."""
    return sorted(os.listdir(share.folder.outbox))


def test_a_full_school_share_delays_deliveries_and_loses_none(
    share: Share,
    worker_env: dict[str, str],
    session_factory: sessionmaker[Session],
    data_dir: Path,
    tmp_path: Path,
) -> None:
    # Given the school's share with room for two of the five files we have for it
    outbox = Outbox(session_factory)
    outbox.partner("education", adapter="education", endpoint=share.folder.path.as_uri())
    messages = golden.outbound_messages()
    ids = {
        outbox.delivery(recipient="education", payload=etree.tostring(envelope)): stem
        for stem, envelope in messages.items()
    }
    share.fill(pages_left=PAGES_LEFT)

    # When a worker delivers them, their lane woken as the API does after commit
    context = make_context(session_factory, PartnerTransports(session_factory, {}, 1.0))
    broker, _ = build_broker(worker_env["REDIS_URL"], data_dir=data_dir)
    assert declare_actors(broker, context).wake_for(("education", "routine") for _ in ids) == 1
    broker.close()
    processes = ProcessGroup(tmp_path / "logs")
    processes.spawn(ProcessSpec("worker", [sys.executable, "-m", "hub.cli", "worker"], worker_env))
    try:

        def full_and_waiting() -> list[OutboxDelivery] | None:
            rows = _rows(session_factory, list(ids))
            delivered = [r for r in rows if r.status is DeliveryStatus.DELIVERED]
            failed = [r for r in rows if any(a.outcome == "retry" for a in r.attempt_log)]
            return rows if len(delivered) == PAGES_LEFT and failed else None

        rows = wait_until(full_and_waiting, timeout_s=30, what="two files written, one failing")

        # Then the two that fit are whole files, and the school sees nothing else: no
        # partial, temporary or empty file from the three that did not fit
        written = sorted(_file_name(r) for r in rows if r.status is DeliveryStatus.DELIVERED)
        assert _outbox_names(share) == written
        school_reads = sorted(p.name for p in ready_files(share.folder.outbox, settle_s=0))
        assert school_reads == _outbox_names(share)
        # And the three others wait for another attempt, each failure saying why
        waiting = [r for r in rows if r.status is not DeliveryStatus.DELIVERED]
        assert {r.status for r in waiting} <= {
            DeliveryStatus.RETRYING,
            DeliveryStatus.PENDING,
            DeliveryStatus.IN_FLIGHT,
        }
        assert {a.error for r in waiting for a in r.attempt_log} == {DISK_FULL_ERROR}

        # When the school clears its archive
        share.free()

        # Then every message is delivered
        wait_until(
            lambda: all(
                r.status is DeliveryStatus.DELIVERED for r in _rows(session_factory, list(ids))
            ),
            timeout_s=30,
            what="all five delivered",
        )
    finally:
        processes.stop()
    assert processes["worker"].process.returncode == 0

    # Exactly once: one delivered attempt per row, failures only before it, and one
    # whole file per message, byte for byte what the school expects
    rows = _rows(session_factory, list(ids))
    for row in rows:
        outcomes = [a.outcome for a in row.attempt_log]
        assert outcomes == ["retry"] * (len(outcomes) - 1) + ["delivered"], outcomes
    assert 1 <= sum(len(r.attempt_log) > 1 for r in rows) <= len(rows) - PAGES_LEFT
    assert _outbox_names(share) == sorted(_file_name(r) for r in rows)
    for row in rows:
        expected = (golden.OUTBOX / f"{ids[row.id]}.csv").read_bytes()
        assert (share.folder.outbox / _file_name(row)).read_bytes() == expected
