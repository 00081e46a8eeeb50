"""Delivery through a real Redis: urgent overtakes the backlog; a flushed Redis loses nothing."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import InMemoryTransport
from hub.store import DeliveryStatus, OutboxDelivery
from queues import EmbeddedRedis, PartnerTransports, build_broker, requeue_stuck_deliveries, utc_now
from tests.integration.queues.queue_helpers import (
    Outbox,
    RunningWorker,
    make_context,
    start_worker,
    wait_until,
)


@pytest.fixture
def embedded_redis(data_dir: Path) -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(data_dir) as server:
        yield server


def _redis_worker(
    url: str, data_dir: Path, session_factory: sessionmaker[Session], transports: PartnerTransports
) -> RunningWorker:
    context = make_context(session_factory, transports)
    broker, embedded = build_broker(url, data_dir=data_dir)
    assert embedded is None
    return start_worker(broker, context, threads=1)


def _count_delivered(session_factory: sessionmaker[Session], total: int) -> bool:
    with session_factory() as session:
        rows = session.query(OutboxDelivery).filter_by(status=DeliveryStatus.DELIVERED).count()
        return rows == total


def test_urgent_message_overtakes_a_routine_backlog(
    redis_url: str,
    data_dir: Path,
    session_factory: sessionmaker[Session],
    transports: PartnerTransports,
    real_time_outbox: Outbox,
    partner: InMemoryTransport,
) -> None:
    # Given 200 routine messages, then one urgent, queued while no worker runs
    running = _redis_worker(redis_url, data_dir, session_factory, transports)
    routine = real_time_outbox.deliveries(200, priority="routine")
    urgent = real_time_outbox.delivery(priority="urgent")
    running.actors.enqueue_many([(i, "routine") for i in routine])
    running.actors.enqueue(urgent, "urgent")

    # When a one-thread worker starts
    running.worker.start()
    try:
        wait_until(
            lambda: _count_delivered(session_factory, 201), timeout_s=30, what="201 deliveries"
        )
    finally:
        running.worker.stop()

    # Then the urgent message is among the first few delivered, and nothing twice
    order = [m.delivery_id for m in partner.delivered]
    assert sorted(order) == sorted([*routine, urgent])
    assert order.index(urgent) < 10


def test_a_flushed_redis_loses_nothing_the_sweeper_resends(
    embedded_redis: EmbeddedRedis,
    data_dir: Path,
    session_factory: sessionmaker[Session],
    transports: PartnerTransports,
    real_time_outbox: Outbox,
    partner: InMemoryTransport,
) -> None:
    # Given five messages sent to the broker, then Redis flushed
    running = _redis_worker(embedded_redis.url, data_dir, session_factory, transports)
    ids = real_time_outbox.deliveries(5, priority="routine")
    running.actors.enqueue_many((i, "routine") for i in ids)
    client = redis.Redis.from_url(embedded_redis.url)
    try:
        client.flushall()
    finally:
        client.close()

    running.worker.start()
    try:
        # Then a running worker has nothing to deliver
        running.worker.join()
        assert partner.delivered == []

        # When one sweeper pass runs (every row counts as stuck with stuck_after_s=0)
        with session_factory.begin() as session:
            sent = requeue_stuck_deliveries(
                session, now=utc_now(), stuck_after_s=0, enqueue=running.actors.enqueue
            )
        assert sent == 5
        wait_until(lambda: _count_delivered(session_factory, 5), what="5 deliveries")
        running.worker.join()
    finally:
        running.worker.stop()

    # Then each row was delivered exactly once
    assert sorted(m.delivery_id for m in partner.delivered) == ids
    assert {real_time_outbox.get(i).attempts for i in ids} == {1}
