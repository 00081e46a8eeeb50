"""The delivery actors: one per lane, each woken with a partner's code to deliver a batch.

A broker message says "partner P has due rows in this lane", not which rows: the
worker claims them from the outbox (``deliver_batch``). So one message moves a
batch, a lost or duplicated message costs nothing but a wait or an empty claim, and
the rows' own state — attempts, due time, dead — lives in the database alone.

Nothing is bound to a broker at import: ``declare_actors(broker, context)`` declares
them on the broker ``build_broker`` made. Workers run them; the API process declares
them the same way only to send.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import dramatiq
from dramatiq.middleware import Retries

from queues.context import DeliveryContext
from queues.delivery import deliver_batch
from queues.lanes import LANE_PRIORITY, LANES, lane_for
from queues.pipelined import enqueue_all

__all__ = ["DeliveryActors", "declare_actors"]


@dataclass(frozen=True)
class DeliveryActors:
    """The declared delivery actors, by lane, and how to wake them."""

    broker: dramatiq.Broker
    context: DeliveryContext
    by_lane: Mapping[str, dramatiq.Actor[[str], None]]

    def wake(self, recipient: str, lane: str, *, delay_ms: int | None = None) -> None:
        """Ask a worker to deliver ``recipient``'s due rows of ``lane``, now or after ``delay_ms``.

        A wake Redis loses is not an error: the sweeper wakes the lane again.
        """
        self.by_lane[lane].send_with_options(args=(recipient,), delay=delay_ms)

    def wake_for(self, rows: Iterable[tuple[str, str]]) -> int:
        """Wake the lane of each ``(recipient, priority)`` once, in one round trip where the
        broker can; returns how many wakes were sent."""
        lanes = dict.fromkeys((recipient, lane_for(priority)) for recipient, priority in rows)
        enqueue_all(
            self.broker, [self.by_lane[lane].message(recipient) for recipient, lane in lanes]
        )
        return len(lanes)


def declare_actors(broker: dramatiq.Broker, context: DeliveryContext) -> DeliveryActors:
    """Declare ``deliver_urgent`` (queue ``urgent``) and ``deliver_routine`` (``routine``).

    Each delivers one batch (``deliver_batch``), then wakes its lane again: at once
    when the batch was full or stopped early (more rows may be due), and, when it
    scheduled a retry, once that retry is due. ``Retries`` retries a wake only when the batch
    itself failed (the database down); the rows' retries are theirs, in the outbox.

    Raises:
      RuntimeError: ``broker`` lacks the ``Retries`` middleware (build it with
        ``build_broker``).
    """
    if not any(isinstance(m, Retries) for m in broker.middleware):
        raise RuntimeError("broker has no Retries middleware; build it with build_broker")

    def lane_actor(lane: str) -> dramatiq.Actor[[str], None]:
        def deliver(recipient: str) -> None:
            report = deliver_batch(
                context.session_factory,
                recipient,
                lane,
                transports=context.transports,
                now=context.clock,
                lease_s=context.lease_s,
                batch_size=context.batch_size,
                retry=context.retry,
                circuit=context.circuit,
            )
            if report.more_due:
                actors.wake(recipient, lane)
            if report.next_due is not None:
                # Rounded up, and a millisecond more: dramatiq rounds its due time down,
                # and a wake that comes before the row is due claims nothing.
                wait_ms = (report.next_due - context.clock()).total_seconds() * 1000
                actors.wake(recipient, lane, delay_ms=max(math.ceil(wait_ms) + 1, 0))

        return dramatiq.actor(
            broker=broker,
            actor_name=f"deliver_{lane}",
            queue_name=lane,
            priority=LANE_PRIORITY[lane],
            max_retries=context.retry.max_attempts - 1,
            min_backoff=context.retry.min_backoff_ms,
            max_backoff=context.retry.max_backoff_ms,
            # A batch must not outlive its lease: another worker may claim its rows.
            time_limit=int(context.lease_s * 1000),
        )(deliver)

    actors = DeliveryActors(
        broker=broker, context=context, by_lane={lane: lane_actor(lane) for lane in LANES}
    )
    return actors
