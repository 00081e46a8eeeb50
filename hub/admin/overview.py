"""The administrators' overview: the hub's state now and its flow over the last hours.

Built on ``hub.observability`` figures (deliveries by state, latency, rejections, queue
depth, live workers) plus what only the dashboard needs: hourly counts per message
type and per partner, and each partner's health (last success, consecutive failures,
circuit state, pause, dead letters). The dashboard page, its live refresh
(``to_json``) and ``hub stats`` all read ``read_overview``; it never commits.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dramatiq
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.observability import (
    DeliveryFigures,
    LatencyFigures,
    delivery_figures,
    latency_figures,
    queue_depths,
    rejection_counts,
    workers_alive,
)
from hub.store import DeliveryStatus, MessageLog, OutboxDelivery, Partner, PartnerCircuit

__all__ = [
    "DELIVERY_STATES",
    "FLOW_HOURS",
    "FlowSeries",
    "Overview",
    "PartnerHealth",
    "read_overview",
]

#: Hours of flow the dashboard charts, oldest first, ending with the current hour.
FLOW_HOURS = 24
#: Delivery states in the order the dashboard lists them.
DELIVERY_STATES: tuple[str, ...] = tuple(s.value for s in DeliveryStatus)


@dataclass(frozen=True)
class FlowSeries:
    """Counts per hour for one partner or message type, aligned with ``Overview.hours``."""

    key: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class PartnerHealth:
    """One partner as the dashboard's table shows it."""

    code: str
    organisation: str
    mode: str
    paused: bool
    paused_reason: str | None
    #: ``closed``, ``open`` or ``half_open``; ``closed`` before any attempt.
    circuit_state: str
    consecutive_failures: int
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_error: str | None
    dead: int
    #: Outbox rows to it by status.
    by_status: dict[str, int]


@dataclass(frozen=True)
class Overview:
    generated_at: datetime
    #: Start of each hour of the flow series (UTC), oldest first.
    hours: tuple[datetime, ...]
    #: Accepted messages per hour by message type.
    flow_by_type: tuple[FlowSeries, ...]
    #: Accepted messages per hour by sender.
    flow_by_sender: tuple[FlowSeries, ...]
    #: Deliveries created per hour by recipient.
    flow_by_recipient: tuple[FlowSeries, ...]
    deliveries: DeliveryFigures
    #: Per lane; empty when the broker could not be read.
    queue_depths: dict[str, int]
    queue_error: str | None
    latency_all: LatencyFigures
    latency_urgent: LatencyFigures
    rejections: dict[str, int]
    partners: tuple[PartnerHealth, ...]
    workers_alive: int

    def to_json(self) -> dict[str, object]:
        """The numbers the dashboard refreshes in place, as JSON-ready values."""
        return {
            "generated_at": self.generated_at.isoformat(),
            "deliveries": {s: self.deliveries.by_status.get(s, 0) for s in DELIVERY_STATES},
            "dead": self.deliveries.dead,
            "retries_total": self.deliveries.retries_total,
            "queue_depths": self.queue_depths,
            "latency": {
                "all": _latency_json(self.latency_all),
                "urgent": _latency_json(self.latency_urgent),
            },
            "rejections": self.rejections,
            "workers_alive": self.workers_alive,
            "partners": {
                p.code: {
                    "paused": p.paused,
                    "circuit_state": p.circuit_state,
                    "consecutive_failures": p.consecutive_failures,
                    "last_success_at": _iso(p.last_success_at),
                    "dead": p.dead,
                }
                for p in self.partners
            },
            "flow": {
                "hours": [h.isoformat() for h in self.hours],
                "by_type": {s.key: list(s.counts) for s in self.flow_by_type},
                "by_sender": {s.key: list(s.counts) for s in self.flow_by_sender},
                "by_recipient": {s.key: list(s.counts) for s in self.flow_by_recipient},
            },
        }


def read_overview(
    session: Session,
    *,
    now: datetime,
    broker: dramatiq.Broker | None,
    worker_within_s: float,
    latency_window: timedelta = timedelta(hours=24),
) -> Overview:
    """The dashboard's figures as of ``now``.

    A broker that does not answer leaves ``queue_depths`` empty and says why in
    ``queue_error``: the page still shows everything the database knows.
    """
    hours = _hours(now)
    since = hours[0]
    messages = session.execute(
        select(MessageLog.received_at, MessageLog.message_type, MessageLog.sender).where(
            MessageLog.received_at >= since
        )
    ).all()
    outbox = session.execute(
        select(OutboxDelivery.created_at, OutboxDelivery.recipient).where(
            OutboxDelivery.created_at >= since
        )
    ).all()
    try:
        depths, queue_error = queue_depths(broker), None
    except Exception as exc:  # any broker failure is shown, not raised: the page must load
        depths, queue_error = {}, type(exc).__name__
    deliveries = delivery_figures(session)
    return Overview(
        generated_at=now,
        hours=hours,
        flow_by_type=_series(since, [(at, kind) for at, kind, _ in messages]),
        flow_by_sender=_series(since, [(at, sender) for at, _, sender in messages]),
        flow_by_recipient=_series(since, [(at, recipient) for at, recipient in outbox]),
        deliveries=deliveries,
        queue_depths=depths,
        queue_error=queue_error,
        latency_all=latency_figures(session, now=now, window=latency_window),
        latency_urgent=latency_figures(session, now=now, window=latency_window, priority="urgent"),
        rejections=dict(sorted(rejection_counts(session).items())),
        partners=_partners(session, deliveries),
        workers_alive=len(workers_alive(session, now=now, within_s=worker_within_s)),
    )


def _hours(now: datetime) -> tuple[datetime, ...]:
    current = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return tuple(current - timedelta(hours=FLOW_HOURS - 1 - i) for i in range(FLOW_HOURS))


def _series(since: datetime, events: list[tuple[datetime, str]]) -> tuple[FlowSeries, ...]:
    counts: dict[str, list[int]] = {}
    for at, key in events:
        index = int((at.astimezone(UTC) - since).total_seconds() // 3600)
        if 0 <= index < FLOW_HOURS:
            counts.setdefault(key, [0] * FLOW_HOURS)[index] += 1
    return tuple(FlowSeries(key, tuple(values)) for key, values in sorted(counts.items()))


def _partners(session: Session, deliveries: DeliveryFigures) -> tuple[PartnerHealth, ...]:
    circuits = {c.partner_code: c for c in session.scalars(select(PartnerCircuit))}
    result = []
    for partner in session.scalars(select(Partner).order_by(Partner.code)):
        circuit = circuits.get(partner.code)
        by_status = {
            status: count
            for (code, status), count in deliveries.by_partner_status.items()
            if code == partner.code
        }
        result.append(
            PartnerHealth(
                code=partner.code,
                organisation=partner.organisation,
                mode=partner.delivery_mode.value,
                paused=partner.paused,
                paused_reason=partner.paused_reason,
                circuit_state=circuit.state if circuit is not None else "closed",
                consecutive_failures=circuit.consecutive_failures if circuit is not None else 0,
                last_success_at=circuit.last_success_at if circuit is not None else None,
                last_failure_at=circuit.last_failure_at if circuit is not None else None,
                last_error=circuit.last_error if circuit is not None else None,
                dead=by_status.get(DeliveryStatus.DEAD.value, 0),
                by_status=by_status,
            )
        )
    return tuple(result)


def _latency_json(figures: LatencyFigures) -> dict[str, float | int | None]:
    return {
        "count": figures.count,
        "p50_ms": figures.p50_ms,
        "p90_ms": figures.p90_ms,
        "p99_ms": figures.p99_ms,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
