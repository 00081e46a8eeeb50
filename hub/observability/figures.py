"""The hub's figures, read from the database: the one truth across API and worker processes.

Each API and worker process would count something different in memory, so every
figure here is a query over the message log, the rejections, the outbox and the
attempt log (or, for queue depth, a read of the broker: ``queue_depths``, kept in
``queues.depths`` beside the sweeper that also reads it). ``/metrics`` and the
admin dashboard both read these functions; each takes the caller's session and
never commits.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.store import (
    DeliveryAttempt,
    DeliveryStatus,
    MessageLog,
    OutboxDelivery,
    Rejection,
    WorkerHeartbeat,
    count_late_delivery_notices,
    count_open_late_deliveries,
)
from queues.depths import queue_depths

__all__ = [
    "LATENCY_BUCKETS_MS",
    "DeliveryFigures",
    "LateDeliveryFigures",
    "LatencyFigures",
    "accepted_counts",
    "delivery_figures",
    "late_delivery_figures",
    "latency_figures",
    "queue_depths",
    "rejection_counts",
    "workers_alive",
]

#: Upper bounds of the latency histogram, in milliseconds (the last one is +Inf).
LATENCY_BUCKETS_MS: Final = (
    100.0,
    250.0,
    500.0,
    1_000.0,
    2_500.0,
    5_000.0,
    10_000.0,
    30_000.0,
    60_000.0,
    300_000.0,
    900_000.0,
    3_600_000.0,
    math.inf,
)


@dataclass(frozen=True)
class DeliveryFigures:
    """The outbox now: rows per status, per (recipient, status), retries made, dead rows."""

    by_status: dict[str, int]
    #: (partner code, status) → rows.
    by_partner_status: dict[tuple[str, str], int]
    #: Failed attempts after which a retry was scheduled (``delivery_attempt.outcome``
    #: ``retry``), over all time.
    retries_total: int
    dead: int

    @property
    def delivered(self) -> int:
        return self.by_status.get(DeliveryStatus.DELIVERED.value, 0)


@dataclass(frozen=True)
class LatencyFigures:
    """Accepted (the message's ``received_at``) → delivered, for rows delivered in a window.

    Percentiles are nearest-rank; they are None when nothing was delivered.
    """

    count: int
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    #: Cumulative histogram: (upper bound in ms, deliveries at or under it); ends with +Inf.
    buckets_ms: tuple[tuple[float, int], ...]
    #: Sum of all latencies, in milliseconds (a Prometheus histogram's ``_sum``).
    sum_ms: float


def delivery_figures(session: Session) -> DeliveryFigures:
    """Outbox rows counted by status and by (recipient, status), plus retries and dead rows."""
    by_partner_status: dict[tuple[str, str], int] = {}
    by_status: dict[str, int] = {}
    rows = session.execute(
        select(OutboxDelivery.recipient, OutboxDelivery.status, func.count()).group_by(
            OutboxDelivery.recipient, OutboxDelivery.status
        )
    )
    for recipient, status, count in rows:
        by_partner_status[(recipient, status.value)] = count
        by_status[status.value] = by_status.get(status.value, 0) + count
    retries = session.scalar(
        select(func.count()).select_from(DeliveryAttempt).where(DeliveryAttempt.outcome == "retry")
    )
    return DeliveryFigures(
        by_status=by_status,
        by_partner_status=by_partner_status,
        retries_total=retries or 0,
        dead=by_status.get(DeliveryStatus.DEAD.value, 0),
    )


@dataclass(frozen=True)
class LateDeliveryFigures:
    """Deliveries past their time to deliver (the routing rules' ``delivery_deadlines``)."""

    #: Non-delivery notices sent to senders, over all time (one per late row).
    notices_total: int
    #: Late rows whose sender was told and that are still not delivered (nor cancelled).
    open: int


def late_delivery_figures(session: Session) -> LateDeliveryFigures:
    """Non-delivery notices sent, and the late rows still open."""
    return LateDeliveryFigures(
        notices_total=count_late_delivery_notices(session),
        open=count_open_late_deliveries(session),
    )


def accepted_counts(session: Session) -> dict[str, int]:
    """Accepted messages (the message log) by message type."""
    rows = session.execute(
        select(MessageLog.message_type, func.count()).group_by(MessageLog.message_type)
    )
    return {message_type: count for message_type, count in rows}


def rejection_counts(session: Session) -> dict[str, int]:
    """Refused messages by rejection code."""
    rows = session.execute(select(Rejection.code, func.count()).group_by(Rejection.code))
    return {code: count for code, count in rows}


def latency_figures(
    session: Session,
    *,
    now: datetime,
    window: timedelta = timedelta(hours=24),
    priority: str | None = None,
) -> LatencyFigures:
    """Delivery latency of rows delivered in ``(now - window, now]``, optionally of one priority.

    Computed in Python over the window's rows: timestamp arithmetic differs between
    SQLite and PostgreSQL, and the window bounds the work.
    """
    query = (
        select(MessageLog.received_at, OutboxDelivery.delivered_at)
        .join(MessageLog, OutboxDelivery.message_log_id == MessageLog.id)
        .where(
            OutboxDelivery.status == DeliveryStatus.DELIVERED,
            OutboxDelivery.delivered_at > now - window,
            OutboxDelivery.delivered_at <= now,
        )
    )
    if priority is not None:
        query = query.where(OutboxDelivery.priority == priority)
    latencies = sorted(
        max((delivered_at - received_at).total_seconds() * 1000.0, 0.0)
        for received_at, delivered_at in session.execute(query)
        if delivered_at is not None
    )
    return LatencyFigures(
        count=len(latencies),
        p50_ms=_nearest_rank(latencies, 0.50),
        p90_ms=_nearest_rank(latencies, 0.90),
        p99_ms=_nearest_rank(latencies, 0.99),
        buckets_ms=_cumulative_buckets(latencies),
        sum_ms=math.fsum(latencies),
    )


def workers_alive(session: Session, *, now: datetime, within_s: float) -> list[WorkerHeartbeat]:
    """Workers whose heartbeat is at most ``within_s`` seconds old, by worker id."""
    since = now - timedelta(seconds=within_s)
    return list(
        session.scalars(
            select(WorkerHeartbeat)
            .where(WorkerHeartbeat.seen_at >= since)
            .order_by(WorkerHeartbeat.worker_id)
        )
    )


def _nearest_rank(ordered: Sequence[float], fraction: float) -> float | None:
    if not ordered:
        return None
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


def _cumulative_buckets(ordered: Sequence[float]) -> tuple[tuple[float, int], ...]:
    buckets = []
    index = 0
    for bound in LATENCY_BUCKETS_MS:
        while index < len(ordered) and ordered[index] <= bound:
            index += 1
        buckets.append((bound, index))
    return tuple(buckets)
