"""What the bench reads back from the hub's database: deliveries, their times, the backlog."""

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.store import DeliveryStatus, MessageLog, OutboxDelivery

__all__ = ["backlog_left", "delivered_by", "latencies_ms"]

#: MessageIds per query (bound parameters stay well under every database's limit).
_CHUNK = 500


def delivered_by(session: Session, message_ids: Sequence[str]) -> tuple[int, datetime | None]:
    """How many outbox rows of these messages are delivered, and when the last one was."""
    delivered, last = 0, None
    for chunk in _chunks(message_ids):
        # No status condition in SQL: with one, SQLite walks the status index over every
        # delivered row of a 1,000,000-message log (seconds a chunk) instead of going
        # from the MessageIds.
        rows = session.execute(
            select(OutboxDelivery.status, OutboxDelivery.delivered_at)
            .join(MessageLog, OutboxDelivery.message_log_id == MessageLog.id)
            .where(MessageLog.message_id.in_(chunk))
        )
        for status, delivered_at in rows:
            if status != DeliveryStatus.DELIVERED:
                continue
            delivered += 1
            if delivered_at is not None and (last is None or delivered_at > last):
                last = delivered_at
    return delivered, last


def latencies_ms(session: Session, message_ids: Sequence[str]) -> list[float]:
    """Accepted → delivered of each delivered copy of these messages, in milliseconds."""
    latencies: list[float] = []
    for chunk in _chunks(message_ids):
        # Filtered here, not in SQL, for the reason given in ``delivered_by``.
        rows = session.execute(
            select(MessageLog.received_at, OutboxDelivery.status, OutboxDelivery.delivered_at)
            .join(OutboxDelivery, OutboxDelivery.message_log_id == MessageLog.id)
            .where(MessageLog.message_id.in_(chunk))
        )
        latencies += [
            (delivered - received).total_seconds() * 1000
            for received, status, delivered in rows
            if status == DeliveryStatus.DELIVERED and delivered is not None
        ]
    return latencies


def backlog_left(session: Session, first_id: int, last_id: int) -> int:
    """Outbox rows with ids in ``[first_id, last_id]`` not delivered yet."""
    return (
        session.scalar(
            select(func.count()).where(
                OutboxDelivery.id.between(first_id, last_id),
                OutboxDelivery.status != DeliveryStatus.DELIVERED,
            )
        )
        or 0
    )


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
