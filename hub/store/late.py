"""Late deliveries: outbox rows past their time to deliver, and their senders' notices.

The deadline job marks each row not delivered within its time (``late_at``, once) and
sends its sender one non-delivery notice, stored as a ``HubNotice`` under
``late_delivery_notice_key(row id)``: the unique key makes it once per row across workers
and restarts. A late row keeps its own state: while it is not delivered (or cancelled)
the lateness is open, for the figures (``/metrics``) and an alert; its delivery closes
it. Each function takes the caller's session and never commits.
"""

from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from hub.store.deliveries import _rowcount
from hub.store.models.messages import DeliveryStatus, HubNotice, OutboxDelivery

__all__ = [
    "LATE_DELIVERY_NOTICE_PREFIX",
    "UNDELIVERED_STATUSES",
    "count_late_delivery_notices",
    "count_open_late_deliveries",
    "late_delivery_notice_key",
    "mark_late",
    "open_late_deliveries_by_recipient",
]

#: A non-delivery notice's key: this prefix and the outbox row's id.
LATE_DELIVERY_NOTICE_PREFIX = "undelivered:"
#: A row in these states has not reached its recipient and still may (cancelled: given up).
UNDELIVERED_STATUSES = (
    DeliveryStatus.PENDING,
    DeliveryStatus.IN_FLIGHT,
    DeliveryStatus.RETRYING,
    DeliveryStatus.DEAD,
)


def late_delivery_notice_key(delivery_id: int) -> str:
    """The key of the one non-delivery notice about outbox row ``delivery_id``."""
    return f"{LATE_DELIVERY_NOTICE_PREFIX}{delivery_id}"


def mark_late(session: Session, delivery_id: int, *, now: datetime) -> bool:
    """Record that row ``delivery_id`` passed its time to deliver; False if it already had."""
    result = session.execute(
        update(OutboxDelivery)
        .where(OutboxDelivery.id == delivery_id, OutboxDelivery.late_at.is_(None))
        .values(late_at=now)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def _open_late() -> tuple[ColumnElement[bool], ...]:
    """A late row whose lateness is still open: not delivered, nor cancelled."""
    return (OutboxDelivery.late_at.is_not(None), OutboxDelivery.status.in_(UNDELIVERED_STATUSES))


def count_open_late_deliveries(session: Session) -> int:
    """Rows past their time to deliver that are still not delivered (nor cancelled)."""
    return (
        session.scalar(select(func.count()).select_from(OutboxDelivery).where(*_open_late())) or 0
    )


def open_late_deliveries_by_recipient(session: Session) -> dict[str, int]:
    """Open late rows per recipient: what the ``deliveries_late`` alert watches."""
    rows = session.execute(
        select(OutboxDelivery.recipient, func.count())
        .where(*_open_late())
        .group_by(OutboxDelivery.recipient)
    )
    return {recipient: count for recipient, count in rows}


def count_late_delivery_notices(session: Session) -> int:
    """Non-delivery notices the hub has sent, over all time."""
    return (
        session.scalar(
            select(func.count())
            .select_from(HubNotice)
            .where(HubNotice.notice_key.startswith(LATE_DELIVERY_NOTICE_PREFIX, autoescape=True))
        )
        or 0
    )
