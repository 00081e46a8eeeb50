"""The worker's heartbeat: a row in ``worker_heartbeat`` that says "this worker is alive".

``run_worker`` runs ``run_heartbeat`` in a thread. It refreshes the row every
``HEARTBEAT_INTERVAL_S`` seconds and deletes it on a clean stop, so readiness and
the metrics count the live workers from the database, across machines. A worker
killed with ``kill -9`` leaves its row behind; it goes stale and stops counting.
"""

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final, cast

from sqlalchemy import CursorResult, delete, update
from sqlalchemy.orm import Session, sessionmaker

from hub.store import WorkerHeartbeat

__all__ = ["HEARTBEAT_INTERVAL_S", "new_worker_id", "run_heartbeat"]

#: Seconds between two refreshes; well under readiness's default staleness (30 s).
HEARTBEAT_INTERVAL_S: Final = 5.0

_log = logging.getLogger(__name__)


def new_worker_id() -> str:
    """``<hostname>:<pid>:<8 hex>``: unique even when a pid is reused on a host."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def run_heartbeat(
    session_factory: sessionmaker[Session],
    worker_id: str,
    *,
    clock: Callable[[], datetime],
    stop: threading.Event,
    interval_s: float = HEARTBEAT_INTERVAL_S,
) -> None:
    """Upsert this worker's row every ``interval_s`` seconds until ``stop``; then delete it.

    A failed beat (database down) is logged and the loop goes on: the row going
    stale is exactly what readiness should then report.
    """
    started_at = clock()
    while True:
        try:
            with session_factory.begin() as session:
                _beat(session, worker_id, started_at=started_at, now=clock())
        except Exception:
            _log.exception("heartbeat failed; retrying in %.1f s", interval_s)
        if stop.wait(interval_s):
            break
    try:
        with session_factory.begin() as session:
            session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id))
    except Exception:
        _log.exception("could not remove the heartbeat of %s; it will go stale", worker_id)


def _beat(session: Session, worker_id: str, *, started_at: datetime, now: datetime) -> None:
    # An UPDATE first, then an INSERT once: portable across SQLite and PostgreSQL, and
    # only this thread writes this worker's row, so the two cannot race.
    refreshed = session.execute(
        update(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id).values(seen_at=now)
    )
    if cast(CursorResult[Any], refreshed).rowcount == 0:
        session.add(
            WorkerHeartbeat(
                worker_id=worker_id,
                hostname=socket.gethostname()[:255],
                pid=os.getpid(),
                started_at=started_at,
                seen_at=now,
            )
        )
