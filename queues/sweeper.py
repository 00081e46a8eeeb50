"""The sweeper: re-sends push deliveries the broker has lost, reading the outbox and the broker.

The database is the source of truth and the broker only carries "deliver row N",
so losing Redis (a flush, a restart without its AOF, a worker killed holding a
message) loses nothing: each pass finds rows nobody is working on and sends them
again. A row may then be sent twice; the claim makes only one worker deliver it,
and receivers de-duplicate by MessageId anyway.

A row that has waited long is not proof of a loss: behind a long backlog every
row waits. So each pass counts, per lane, the messages the broker holds
(``queue_depths``: waiting, delayed, or taken and not yet acked by a live worker — a
killed worker's messages come back only at dramatiq's random maintenance, so
``stranded_depths`` are not counted as held) and the push rows
the outbox says it should hold (``count_push_rows_in_broker``: not delivered, dead
or cancelled, and handed to the broker). Only the difference, when positive, is
known lost; the pass re-sends that many of the lane's stuck rows, those waiting
longest first, and none when the broker holds enough. Two kinds of rows are sent
whatever the count says (``find_stuck_unvouched_push_deliveries``): rows in no
broker message (parked or replayed, ``enqueued_at`` cleared), and, as a backstop
against a count that hides a loss (stale duplicates standing in for lost
messages), rows not handed to the broker for longer than the longest doubled wait
(``stuck_after_s * 2 ** MAX_RESEND_DOUBLINGS``). When the broker cannot be counted
(a broker of another kind, or the count fails) the pass falls back to re-sending
every stuck row (``find_stuck_push_deliveries``), each re-send doubling that row's
wait, and says so once at warning.

The two counts are not one snapshot. The broker is read first, so a row delivered
between the reads is counted by the broker alone (the pass sends less); a row
committed and sent between them is counted by the outbox alone, so the pass may
re-send a few waiting rows, each costing a fetch and a failed claim. RabbitMQ
reports only ready messages, not those a worker has fetched and not acked, so
there the count errs the same way by up to the workers' prefetch.

It also sends the rows a worker parked (partner paused, circuit open) once the
partner is resumed or its circuit lets a probe through; until then it leaves them
alone, so a waiting partner's backlog is not sent round in a loop.
"""

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import dramatiq
from sqlalchemy.orm import Session, sessionmaker

from hub.store import (
    OutboxDelivery,
    count_push_rows_in_broker,
    find_stuck_held_push_deliveries,
    find_stuck_push_deliveries,
    find_stuck_unvouched_push_deliveries,
    mark_enqueued,
)
from queues.actors import DeliveryActors
from queues.depths import queue_depths, stranded_depths
from queues.lanes import LANES, URGENT, lane_for
from queues.settings import QueueSettings

__all__ = ["SWEEP_BATCH", "BrokerCount", "broker_count", "requeue_stuck_deliveries", "run_sweeper"]

#: Most rows one pass re-sends; the rest wait for the next pass.
SWEEP_BATCH = 1_000

#: Messages the broker holds per lane, or None when it cannot say.
BrokerCount = Callable[[], Mapping[str, int] | None]

_log = logging.getLogger(__name__)


def broker_count(broker: dramatiq.Broker) -> BrokerCount:
    """A ``BrokerCount`` reading ``broker``'s lanes; the first time it cannot, it warns.

    Counts what the broker will hand to a live worker: ``queue_depths`` less the
    ``stranded_depths`` of dead workers. None when the broker is of a kind
    ``queue_depths`` cannot read, or the read raises.
    """
    warned = threading.Event()

    def count() -> Mapping[str, int] | None:
        try:
            depths = queue_depths(broker)
            stranded = stranded_depths(broker)
        except Exception as exc:  # any failure: the sweeper falls back, never stops
            reason = f"the count failed ({type(exc).__name__})"
        else:
            if all(lane in depths for lane in LANES):
                return {lane: depths[lane] - stranded.get(lane, 0) for lane in LANES}
            reason = f"{type(broker).__name__} cannot be counted"
        if not warned.is_set():
            warned.set()
            _log.warning(
                "sweeper: %s; re-sending every stuck row as the outbox alone shows", reason
            )
        return None

    return count


def requeue_stuck_deliveries(
    session: Session,
    *,
    now: datetime,
    stuck_after_s: float,
    enqueue: Callable[[int, str], None],
    limit: int = SWEEP_BATCH,
    held: BrokerCount | None = None,
) -> int:
    """One pass: send the stuck push rows the broker has lost and mark them enqueued.

    ``held`` counts the broker's messages per lane (``broker_count``); with it, a
    lane's stuck rows are sent only as far as the outbox expects more messages than
    the broker holds (see the module docstring). Without it, or when it returns
    None, every stuck row is sent (``find_stuck_push_deliveries``).
    ``enqueue(delivery_id, priority)`` sends one row. Does not commit. If a send
    raises, the exception propagates and, with the caller's transaction rolled back,
    the next pass tries again. Returns how many rows were sent.
    """
    # The broker before the outbox: a row delivered and acked between the two reads
    # is then counted by the broker alone, which errs toward sending less.
    depths = held() if held is not None else None
    if depths is None:
        rows = find_stuck_push_deliveries(
            session, now=now, stuck_after_s=stuck_after_s, limit=limit
        )
    else:
        rows = _lost_rows(session, depths, now=now, stuck_after_s=stuck_after_s, limit=limit)
    # Marked before sent: a worker may take a message before this transaction commits,
    # and find its row open and unmarked; parked then (circuit open), the mark would
    # come after and hide that no message holds the row. Marked first, the row is
    # locked until the commit, so the worker's claim or park comes after the mark.
    mark_enqueued(session, [row.id for row in rows], now=now)
    for row in rows:
        enqueue(row.id, row.priority)
    return len(rows)


def _lost_rows(
    session: Session,
    depths: Mapping[str, int],
    *,
    now: datetime,
    stuck_after_s: float,
    limit: int,
) -> Sequence[OutboxDelivery]:
    """The unvouched stuck rows, then per lane at most its deficit of stuck rows; urgent first."""
    expected = count_push_rows_in_broker(session)
    rows = list(
        find_stuck_unvouched_push_deliveries(
            session, now=now, stuck_after_s=stuck_after_s, limit=limit
        )
    )
    for lane in LANES:
        priorities = [priority for priority in expected if lane_for(priority) == lane]
        deficit = sum(expected[priority] for priority in priorities) - depths[lane]
        room = min(deficit, limit - len(rows))
        if room > 0:
            rows += find_stuck_held_push_deliveries(
                session,
                now=now,
                stuck_after_s=stuck_after_s,
                priorities=priorities,
                limit=room,
            )
    rows.sort(key=lambda row: lane_for(row.priority) != URGENT)
    return rows


def run_sweeper(
    session_factory: sessionmaker[Session],
    actors: DeliveryActors,
    settings: QueueSettings,
    stop: threading.Event,
) -> None:
    """Run a pass every ``settings.sweep_interval_s`` seconds until ``stop`` is set.

    Each pass counts ``actors.broker``'s messages (``broker_count``). A failing pass
    (database or broker down) is logged and the loop goes on.
    """
    held = broker_count(actors.broker)
    while True:
        try:
            with session_factory.begin() as session:
                sent = requeue_stuck_deliveries(
                    session,
                    now=actors.context.clock(),
                    stuck_after_s=settings.stuck_after_s,
                    enqueue=actors.enqueue,
                    held=held,
                )
            if sent:
                _log.info("sweeper re-sent %d stuck deliveries", sent)
        except Exception:
            _log.exception("sweeper pass failed; retrying in %.1f s", settings.sweep_interval_s)
        if stop.wait(settings.sweep_interval_s):
            return
