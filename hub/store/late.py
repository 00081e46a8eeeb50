"""Late deliveries: outbox rows past their time to deliver whose sender was told so.

The deadline job sends one non-delivery notice per late row and stores it as a
``HubNotice`` under ``late_delivery_notice_key(row id)``: the unique key makes it once per
row across workers and restarts, and it is what marks the row late here, for the
figures (``/metrics``) and for an alert. A late row keeps its own state: while it is not
delivered (or cancelled) the lateness is open; its delivery closes it. Each function takes
the caller's session and never commits.
"""

from sqlalchemy import ColumnElement, String, cast, exists, func, literal, select
from sqlalchemy.orm import Session

from hub.store.models.messages import DeliveryStatus, HubNotice, OutboxDelivery

__all__ = [
    "LATE_DELIVERY_NOTICE_PREFIX",
    "UNDELIVERED_STATUSES",
    "count_late_delivery_notices",
    "count_open_late_deliveries",
    "late_delivery_noticed",
    "late_delivery_notice_key",
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


def late_delivery_noticed() -> ColumnElement[bool]:
    """True for an ``OutboxDelivery`` row whose sender has had its non-delivery notice."""
    key = literal(LATE_DELIVERY_NOTICE_PREFIX, String) + cast(OutboxDelivery.id, String)
    return exists().where(HubNotice.notice_key == key)


def count_open_late_deliveries(session: Session) -> int:
    """Rows past their time, their sender told, still not delivered (nor cancelled)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(OutboxDelivery)
            .where(OutboxDelivery.status.in_(UNDELIVERED_STATUSES), late_delivery_noticed())
        )
        or 0
    )


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
