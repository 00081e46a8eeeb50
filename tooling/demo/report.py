"""What the demo run did, read from the hub's database: messages, deliveries, latency, and the
signature algorithms of the messages as stored."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.store import MessageLog, OutboxDelivery, Rejection
from schemas import parse_xml
from signing.profile import signature_method_of


@dataclass(frozen=True)
class RunReport:
    accepted: Counter[str]  # message type → count
    rejected: Counter[str]  # rejection code → count
    deliveries: Counter[tuple[str, str]]  # (recipient, status) → count
    attempts: Counter[str]  # recipient → attempts made
    latency_ms: dict[str, tuple[float, float]]  # recipient → (median, max), accepted → delivered
    signature_methods: Counter[str]  # SignatureMethod of the stored original → messages

    @property
    def undelivered(self) -> int:
        return sum(n for (_, status), n in self.deliveries.items() if status != "delivered")


def run_report(session: Session, *, since: datetime) -> RunReport:
    """Everything the hub recorded since ``since`` (the demo run's start)."""
    messages = session.scalars(select(MessageLog).where(MessageLog.received_at >= since)).all()
    rejections = session.scalars(select(Rejection).where(Rejection.received_at >= since)).all()
    deliveries = session.execute(
        select(OutboxDelivery, MessageLog.received_at)
        .join(MessageLog)
        .where(MessageLog.received_at >= since)
    ).all()
    latencies: dict[str, list[float]] = {}
    attempts: Counter[str] = Counter()
    for delivery, received_at in deliveries:
        attempts[delivery.recipient] += delivery.attempts
        if delivery.delivered_at is not None:
            elapsed = (delivery.delivered_at - received_at).total_seconds() * 1000
            latencies.setdefault(delivery.recipient, []).append(elapsed)
    return RunReport(
        accepted=Counter(m.message_type for m in messages),
        rejected=Counter(r.code for r in rejections),
        deliveries=Counter((d.recipient, d.status.value) for d, _ in deliveries),
        attempts=attempts,
        latency_ms={r: (median(v), max(v)) for r, v in latencies.items()},
        # Read from the bytes as received, not from configuration: what the log can prove.
        signature_methods=Counter(signature_method_of(parse_xml(m.raw)) for m in messages),
    )
