"""The sweeper: re-sends push deliveries the broker has lost, reading the outbox.

The database is the source of truth and the broker only carries "deliver row N",
so losing Redis (a flush, a restart without its AOF, a worker killed holding a
message) loses nothing: each pass finds rows nobody is working on and sends them
again. A row may then be sent twice; the claim makes only one worker deliver it,
and receivers de-duplicate by MessageId anyway.

It also sends the rows a worker parked (partner paused, circuit open) once the
partner is resumed or its circuit lets a probe through; until then it leaves them
alone, so a waiting partner's backlog is not sent round in a loop.
"""

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from hub.store import find_stuck_push_deliveries, mark_enqueued
from queues.actors import DeliveryActors
from queues.settings import QueueSettings

__all__ = ["SWEEP_BATCH", "requeue_stuck_deliveries", "run_sweeper"]

#: Most rows one pass re-sends; the rest wait for the next pass.
SWEEP_BATCH = 1_000

_log = logging.getLogger(__name__)


def requeue_stuck_deliveries(
    session: Session,
    *,
    now: datetime,
    stuck_after_s: float,
    enqueue: Callable[[int, str], None],
    limit: int = SWEEP_BATCH,
) -> int:
    """One pass: send each stuck push row (``find_stuck_push_deliveries``) and mark it enqueued.

    ``enqueue(delivery_id, priority)`` sends one row. Does not commit. If a send
    raises, the exception propagates and, with the caller's transaction rolled back,
    the next pass tries again. Returns how many rows were sent.
    """
    rows = find_stuck_push_deliveries(session, now=now, stuck_after_s=stuck_after_s, limit=limit)
    for row in rows:
        enqueue(row.id, row.priority)
    mark_enqueued(session, [row.id for row in rows], now=now)
    return len(rows)


def run_sweeper(
    session_factory: sessionmaker[Session],
    actors: DeliveryActors,
    settings: QueueSettings,
    stop: threading.Event,
) -> None:
    """Run a pass every ``settings.sweep_interval_s`` seconds until ``stop`` is set.

    A failing pass (database or broker down) is logged and the loop goes on.
    """
    while True:
        try:
            with session_factory.begin() as session:
                sent = requeue_stuck_deliveries(
                    session,
                    now=actors.context.clock(),
                    stuck_after_s=settings.stuck_after_s,
                    enqueue=actors.enqueue,
                )
            if sent:
                _log.info("sweeper re-sent %d stuck deliveries", sent)
        except Exception:
            _log.exception("sweeper pass failed; retrying in %.1f s", settings.sweep_interval_s)
        if stop.wait(settings.sweep_interval_s):
            return
