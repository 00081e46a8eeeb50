"""The delivery actors: one per lane, each taking only an outbox row id.

Nothing is bound to a broker at import: ``declare_actors(broker, context)`` declares
them on the broker ``build_broker`` made. Workers run them; the API process declares
them the same way only to send. The actors are thin — the work is ``deliver_once``.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq.middleware import CurrentMessage, Retries

from adapters.base import PartnerRejected
from queues.context import DeliveryContext
from queues.delivery import deliver_once
from queues.errors import TransportMissing
from queues.lanes import LANE_PRIORITY, LANES, lane_for
from queues.middleware import OUTBOX_SESSIONS_OPTION, DeadLetter
from queues.pipelined import enqueue_all

__all__ = ["DeliveryActors", "declare_actors"]

#: Failures no retry can fix: ``Retries`` fails the message at once (then ``DeadLetter``).
_FINAL_FAILURES = (PartnerRejected, TransportMissing)


@dataclass(frozen=True)
class DeliveryActors:
    """The declared delivery actors, by lane, and how to send to them."""

    broker: dramatiq.Broker
    context: DeliveryContext
    by_lane: Mapping[str, dramatiq.Actor[[int], None]]

    def enqueue(self, delivery_id: int, priority: str) -> None:
        """Send outbox row ``delivery_id`` down the lane for ``priority``.

        A send Redis loses is not an error: the sweeper re-sends from the outbox.
        """
        self.by_lane[lane_for(priority)].send(delivery_id)

    def enqueue_many(self, rows: Iterable[tuple[int, str]]) -> int:
        """Send each ``(delivery_id, priority)``, in one round trip where the broker can;
        returns how many were sent."""
        messages = [
            self.by_lane[lane_for(priority)].message(delivery_id) for delivery_id, priority in rows
        ]
        enqueue_all(self.broker, messages)
        return len(messages)


def declare_actors(broker: dramatiq.Broker, context: DeliveryContext) -> DeliveryActors:
    """Declare ``deliver_urgent`` (queue ``urgent``) and ``deliver_routine`` (``routine``).

    Raises:
      RuntimeError: ``broker`` lacks the ``CurrentMessage``, ``Retries`` or
        ``DeadLetter`` middleware (build it with ``build_broker``).
    """
    for required in (CurrentMessage, Retries, DeadLetter):
        if not any(isinstance(m, required) for m in broker.middleware):
            raise RuntimeError(
                f"broker has no {required.__name__} middleware; build it with build_broker"
            )

    def will_retry() -> bool:
        # Mirrors Retries.after_process_message: it gives up once the message's retry
        # count has reached max_retries (counted before this attempt's failure).
        message = CurrentMessage.get_current_message()
        done = message.options.get("retries", 0) if message is not None else 0
        return bool(done < context.max_retries)

    def deliver(delivery_id: int) -> None:
        deliver_once(
            context.session_factory,
            delivery_id,
            transports=context.transports,
            now=context.clock,
            lease_s=context.lease_s,
            will_retry=will_retry(),
            max_attempts=context.max_retries + 1,
            max_backoff_ms=context.max_backoff_ms,
            circuit=context.circuit,
        )

    options: dict[str, Any] = {
        "max_retries": context.max_retries,
        "min_backoff": context.min_backoff_ms,
        "max_backoff": context.max_backoff_ms,
        "throws": _FINAL_FAILURES,
        # An attempt must not outlive its lease: another worker may claim the row.
        "time_limit": int(context.lease_s * 1000),
        OUTBOX_SESSIONS_OPTION: context.session_factory,
    }
    return DeliveryActors(
        broker=broker,
        context=context,
        by_lane={
            lane: dramatiq.actor(
                broker=broker,
                actor_name=f"deliver_{lane}",
                queue_name=lane,
                priority=LANE_PRIORITY[lane],
                **options,
            )(deliver)
            for lane in LANES
        },
    )
