"""The figures read from the database: counts, percentiles and the latency histogram."""

from datetime import UTC, datetime, timedelta

import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.errors import Rejection as RejectionError
from hub.ingest import Ingestor
from hub.observability import (
    accepted_counts,
    delivery_figures,
    latency_figures,
    queue_depths,
    rejection_counts,
    workers_alive,
)
from hub.store import DeliveryStatus, MessageLog, OutboxDelivery, WorkerHeartbeat
from tests.factories import Signers, make_envelope


def _accept(ingestor: Ingestor, signers: Signers, *, priority: str | None = None) -> int:
    raw = signers.sign(make_envelope(priority=priority))
    return ingestor.ingest(raw, authenticated=None).hub_id


def _deliver_after(
    session_factory: sessionmaker[Session], hub_id: int, latency: timedelta
) -> list[int]:
    """Mark every outbox row of message ``hub_id`` delivered ``latency`` after it was received."""
    with session_factory.begin() as session:
        message = session.get_one(MessageLog, hub_id)
        for row in message.deliveries:
            row.status = DeliveryStatus.DELIVERED
            row.delivered_at = message.received_at + latency
        return [row.id for row in message.deliveries]


def test_latency_percentiles_and_buckets_over_seeded_deliveries(
    ingestor: Ingestor, signers: Signers, session_factory: sessionmaker[Session]
) -> None:
    # Given ten messages, each to the same recipients, delivered 1..10 s after acceptance
    for seconds in range(1, 11):
        hub_id = _accept(ingestor, signers)
        _deliver_after(session_factory, hub_id, timedelta(seconds=seconds))
    with session_factory() as session:
        per_message = len(session.get_one(MessageLog, hub_id).deliveries)
        now = datetime.now(UTC) + timedelta(seconds=30)

        # When the figures are read
        latency = latency_figures(session, now=now)

    # Then percentiles are nearest-rank over all delivered rows
    assert per_message >= 1
    assert latency.count == 10 * per_message
    assert latency.p50_ms == pytest.approx(5_000, abs=1)
    assert latency.p90_ms == pytest.approx(9_000, abs=1)
    assert latency.p99_ms == pytest.approx(10_000, abs=1)
    assert latency.sum_ms == pytest.approx(55_000 * per_message, abs=10)
    buckets = dict(latency.buckets_ms)
    assert buckets[1_000.0] == 1 * per_message
    assert buckets[5_000.0] == 5 * per_message
    assert buckets[10_000.0] == 10 * per_message
    assert latency.buckets_ms[-1] == (float("inf"), 10 * per_message)
    counts = [count for _, count in latency.buckets_ms]
    assert counts == sorted(counts)


def test_latency_window_and_priority_filter(
    ingestor: Ingestor, signers: Signers, session_factory: sessionmaker[Session]
) -> None:
    urgent = _accept(ingestor, signers, priority="urgent")
    routine = _accept(ingestor, signers, priority="routine")
    _deliver_after(session_factory, urgent, timedelta(seconds=2))
    _deliver_after(session_factory, routine, timedelta(seconds=20))
    now = datetime.now(UTC) + timedelta(minutes=1)
    with session_factory() as session:
        only_urgent = latency_figures(session, now=now, priority="urgent")
        later = latency_figures(session, now=now + timedelta(days=2))

    assert only_urgent.count >= 1
    assert only_urgent.p99_ms == pytest.approx(2_000, abs=1)
    # Outside the window nothing counts, and empty figures say so.
    assert later.count == 0
    assert later.p50_ms is None
    assert all(count == 0 for _, count in later.buckets_ms)


def test_counts_by_type_code_status_and_partner(
    ingestor: Ingestor, signers: Signers, session_factory: sessionmaker[Session]
) -> None:
    # Given two accepted referrals, one refused message, one delivered and one dead row
    first = _accept(ingestor, signers)
    _accept(ingestor, signers)
    with pytest.raises(RejectionError) as refused:
        ingestor.ingest(b"<not-xml", authenticated=None)
    delivered = _deliver_after(session_factory, first, timedelta(seconds=1))
    with session_factory.begin() as session:
        dead = session.scalars(
            select(OutboxDelivery).where(OutboxDelivery.status == DeliveryStatus.PENDING).limit(1)
        ).one()
        dead.status = DeliveryStatus.DEAD
        dead_partner = dead.recipient

    with session_factory() as session:
        figures = delivery_figures(session)
        accepted = accepted_counts(session)
        rejected = rejection_counts(session)
        total_rows = session.query(OutboxDelivery).count()

    assert accepted == {"FamilyReferral": 2}
    assert rejected == {refused.value.code: 1}
    assert figures.dead == 1
    assert figures.delivered == len(delivered)
    assert sum(figures.by_status.values()) == total_rows
    assert sum(figures.by_partner_status.values()) == total_rows
    assert figures.by_partner_status[(dead_partner, "dead")] == 1
    assert figures.retries_total == 0


def test_workers_alive_counts_only_fresh_heartbeats(
    session_factory: sessionmaker[Session],
) -> None:
    now = datetime.now(UTC)
    with session_factory.begin() as session:
        for worker_id, age_s in (("fresh", 5), ("stale", 60)):
            session.add(
                WorkerHeartbeat(
                    worker_id=worker_id,
                    hostname="h",
                    pid=1,
                    started_at=now - timedelta(hours=1),
                    seen_at=now - timedelta(seconds=age_s),
                )
            )
    with session_factory() as session:
        alive = workers_alive(session, now=now, within_s=30)
        assert [w.worker_id for w in alive] == ["fresh"]


def test_queue_depths_without_a_broker_and_on_a_stub_broker() -> None:
    assert queue_depths(None) == {}
    broker = StubBroker()
    assert queue_depths(broker) == {"urgent": 0, "routine": 0}
