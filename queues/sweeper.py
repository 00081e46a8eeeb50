"""The sweeper: wakes the partners' lanes whose due rows nobody is delivering.

The database is the source of truth and a broker message only says "partner P has
due rows in this lane", so losing Redis (a flush, a restart without its AOF, a
worker killed holding a message) loses nothing: each pass finds the lanes with rows
no worker is on (``find_stuck_push_lanes``: a wake lost, a retry or a replay due, a
dead worker's lease run out) and wakes each once. A wake too many costs one empty
claim; the claim makes only one worker deliver a row, and receivers de-duplicate
by MessageId anyway.

A lane a worker is on (a row under a live lease) is not woken: its batch wakes the
lane again itself when more is due, so a long backlog is not woken once per pass.
Nor is a paused partner's, or one whose circuit blocks until later: their rows wait;
the first pass after a resume, or after the cool-down, wakes them.
"""

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from hub.store import find_stuck_push_lanes
from queues.actors import DeliveryActors
from queues.lanes import ROUTINE, URGENT
from queues.settings import QueueSettings

__all__ = ["wake_stuck_lanes", "run_sweeper"]

_log = logging.getLogger(__name__)


def wake_stuck_lanes(
    session: Session,
    *,
    now: datetime,
    stuck_after_s: float,
    wake: Callable[[str, str], None],
) -> int:
    """One pass: ``wake(recipient, lane)`` once for each stuck lane, urgent lanes first.

    Returns how many lanes were woken. Writes nothing. If a wake raises, the
    exception propagates and the next pass tries again.
    """
    lanes = find_stuck_push_lanes(session, now=now, stuck_after_s=stuck_after_s)
    for lane in lanes:
        wake(lane.recipient, URGENT if lane.urgent else ROUTINE)
    return len(lanes)


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
            with session_factory() as session:
                woken = wake_stuck_lanes(
                    session,
                    now=actors.context.clock(),
                    stuck_after_s=settings.stuck_after_s,
                    wake=actors.wake,
                )
            if woken:
                _log.info("sweeper woke %d lanes with stuck deliveries", woken)
        except Exception:
            _log.exception("sweeper pass failed; retrying in %.1f s", settings.sweep_interval_s)
        if stop.wait(settings.sweep_interval_s):
            return
