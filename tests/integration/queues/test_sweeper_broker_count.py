"""The sweeper against a real broker's count: it re-sends only what the broker lost.

No worker runs: the rows are sent to a real Redis (or RabbitMQ) and stay there,
as a backlog does, while the test moves the clock past ``stuck_after_s``.
"""

import logging
from collections.abc import Generator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy.orm import Session, sessionmaker

from hub.store import MAX_RESEND_DOUBLINGS, DeliveryStatus, OutboxDelivery
from queues import DeliveryActors, PartnerTransports, build_broker, declare_actors
from queues.depths import queue_depths, stranded_depths
from queues.sweeper import broker_count, requeue_stuck_deliveries
from tests.integration.queues.queue_helpers import Clock, Outbox, make_context, wait_until

STUCK_AFTER_S = 120.0


def _actors(
    url: str, data_dir: Path, session_factory: sessionmaker[Session], transports: PartnerTransports
) -> Generator[DeliveryActors, None, None]:
    broker, _ = build_broker(url, data_dir=data_dir)
    try:
        yield declare_actors(broker, make_context(session_factory, transports))
    finally:
        broker.close()


@pytest.fixture
def redis_actors(
    redis_url: str,
    data_dir: Path,
    session_factory: sessionmaker[Session],
    transports: PartnerTransports,
) -> Iterator[DeliveryActors]:
    yield from _actors(redis_url, data_dir, session_factory, transports)


class _Sweep:
    """Runs one pass at a time against ``actors``' broker; returns the ids each pass sent."""

    def __init__(
        self, session_factory: sessionmaker[Session], actors: DeliveryActors, clock: Clock
    ) -> None:
        self.session_factory = session_factory
        self.actors = actors
        self.clock = clock
        self.held = broker_count(actors.broker)

    def __call__(self, *, limit: int = 1_000) -> list[int]:
        sent: list[int] = []

        def enqueue(delivery_id: int, priority: str) -> None:
            sent.append(delivery_id)
            self.actors.enqueue(delivery_id, priority)

        with self.session_factory.begin() as session:
            requeue_stuck_deliveries(
                session,
                now=self.clock(),
                stuck_after_s=STUCK_AFTER_S,
                enqueue=enqueue,
                limit=limit,
                held=self.held,
            )
        return sent


def _backlog(outbox: Outbox, clock: Clock, count: int, priority: str = "routine") -> list[int]:
    """``count`` rows handed to the broker one second apart, the highest id the longest ago."""
    ids = outbox.deliveries(count, priority=priority)
    with outbox.session_factory.begin() as session:
        for age, delivery_id in enumerate(ids):
            row = session.get(OutboxDelivery, delivery_id)
            assert row is not None
            row.enqueued_at = clock() - timedelta(seconds=age)
    return ids


def _claimed_by_a_dead_worker(
    session_factory: sessionmaker[Session], clock: Clock, delivery_id: int
) -> None:
    """Row ``delivery_id`` as a worker killed mid-attempt leaves it: in flight, lease run out."""
    with session_factory.begin() as session:
        row = session.get(OutboxDelivery, delivery_id)
        assert row is not None
        row.status = DeliveryStatus.IN_FLIGHT
        row.lease_until = clock() - timedelta(seconds=1)


def test_a_long_backlog_the_broker_holds_is_not_resent(
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    clock: Clock,
    redis_actors: DeliveryActors,
) -> None:
    # Given 200 rows in Redis, none consumed, all waiting longer than stuck_after
    ids = _backlog(outbox, clock, 200)
    redis_actors.enqueue_many([(i, "routine") for i in ids])
    clock.advance(STUCK_AFTER_S * 3)
    sweep = _Sweep(session_factory, redis_actors, clock)

    # When the sweeper passes, then Then: nothing is re-sent, the broker still holds 200
    assert sweep() == []
    assert queue_depths(redis_actors.broker) == {"urgent": 0, "routine": 200}
    assert outbox.get(ids[0]).resends == 0


def test_a_flushed_redis_gets_its_rows_again_up_to_the_batch(
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    clock: Clock,
    redis_actors: DeliveryActors,
    redis_url: str,
) -> None:
    # Given 200 rows sent to Redis, which then lost everything
    ids = _backlog(outbox, clock, 200)
    redis_actors.enqueue_many([(i, "routine") for i in ids])
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()
    clock.advance(STUCK_AFTER_S * 3)
    sweep = _Sweep(session_factory, redis_actors, clock)

    # When passes run with a batch of 150
    first, second, third = sweep(limit=150), sweep(limit=150), sweep(limit=150)

    # Then the first sends a batch, the second the rest, the third nothing
    assert (len(first), len(second), third) == (150, 50, [])
    assert sorted(first + second) == sorted(ids)
    assert queue_depths(redis_actors.broker)["routine"] == 200


def test_a_partial_loss_resends_exactly_the_deficit_longest_waiting_first(
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    clock: Clock,
    redis_actors: DeliveryActors,
) -> None:
    # Given 200 rows of which the broker holds 150, and one urgent row it holds
    ids = _backlog(outbox, clock, 200)
    redis_actors.enqueue_many([(i, "routine") for i in ids[:150]])
    urgent = _backlog(outbox, clock, 1, priority="urgent")
    redis_actors.enqueue(urgent[0], "urgent")
    clock.advance(STUCK_AFTER_S * 3)

    # When the sweeper passes
    sent = _Sweep(session_factory, redis_actors, clock)()

    # Then it re-sends 50 routine rows, the ones handed over longest ago (highest ids)
    assert sent == sorted(ids, reverse=True)[:50]
    assert queue_depths(redis_actors.broker) == {"urgent": 1, "routine": 200}


def test_a_row_waiting_past_the_longest_doubling_is_resent_even_when_the_broker_holds_enough(
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    clock: Clock,
    redis_actors: DeliveryActors,
) -> None:
    # Given 200 rows the broker holds, one of them handed over long ago
    ids = _backlog(outbox, clock, 200)
    redis_actors.enqueue_many([(i, "routine") for i in ids])
    longest_wait = STUCK_AFTER_S * 2**MAX_RESEND_DOUBLINGS
    with session_factory.begin() as session:
        row = session.get(OutboxDelivery, ids[0])
        assert row is not None
        row.enqueued_at = clock() - timedelta(seconds=longest_wait - 30)
    clock.advance(60)

    # When the sweeper passes, then Then: only that row is re-sent
    assert _Sweep(session_factory, redis_actors, clock)() == [ids[0]]


def test_a_row_whose_worker_died_is_resent_even_when_the_broker_still_counts_it(
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    clock: Clock,
    redis_actors: DeliveryActors,
) -> None:
    # Given 200 rows the broker holds, one of them claimed by a worker that then died:
    # its lease has run out, while its broker message still counts as held
    ids = _backlog(outbox, clock, 200)
    redis_actors.enqueue_many([(i, "routine") for i in ids])
    _claimed_by_a_dead_worker(session_factory, clock, ids[0])
    clock.advance(STUCK_AFTER_S * 3)

    # When the sweeper passes, then Then: only that row is re-sent, not the backlog
    assert _Sweep(session_factory, redis_actors, clock)() == [ids[0]]


def _taken_by_a_worker_that_then_went_silent(redis_url: str, lane: str, count: int) -> None:
    """What ``kill -9`` of a worker leaves in Redis: ``count`` messages of ``lane`` taken
    (prefetched) and never acked, under a worker whose heartbeat has stopped."""
    worker = RedisBroker(url=redis_url)
    try:
        consumer = worker.consume(lane, prefetch=count, timeout=100)
        assert next(consumer) is not None  # one fetch takes up to ``count`` messages
        # Its last heartbeat long before dramatiq's heartbeat_timeout.
        worker.client.zadd(f"{worker.namespace}:__heartbeats__", {worker.broker_id: 0})
    finally:
        worker.close()


def test_messages_a_dead_worker_took_are_not_counted_as_held(
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    clock: Clock,
    redis_actors: DeliveryActors,
    redis_url: str,
) -> None:
    # Given 20 rows in Redis, 5 of which a worker took and then died with, unclaimed:
    # dramatiq gives them back only at a random maintenance pass, minutes later. Here none
    # may run: one drawn on the sweeper's sends (about one in a thousand) would give them
    # back before they are counted.
    redis_actors.broker.maintenance_chance = 0  # type: ignore[attr-defined]  # RedisBroker's
    ids = _backlog(outbox, clock, 20)
    redis_actors.enqueue_many([(i, "routine") for i in ids])
    _taken_by_a_worker_that_then_went_silent(redis_url, "routine", 5)
    clock.advance(STUCK_AFTER_S * 3)

    # When the sweeper passes
    sent = _Sweep(session_factory, redis_actors, clock)()

    # Then the broker still holds all 20, but 5 are stranded, and 5 rows are sent again
    assert queue_depths(redis_actors.broker)["routine"] == 20 + 5
    assert stranded_depths(redis_actors.broker) == {"urgent": 0, "routine": 5}
    assert len(sent) == 5


def test_a_live_workers_messages_are_not_stranded(
    redis_actors: DeliveryActors, outbox: Outbox, clock: Clock, redis_url: str
) -> None:
    # Given messages taken by a worker that is still heart-beating
    ids = _backlog(outbox, clock, 3)
    redis_actors.enqueue_many([(i, "routine") for i in ids])
    worker = RedisBroker(url=redis_url)
    try:
        assert next(worker.consume("routine", prefetch=3, timeout=100)) is not None
        # Then none of them counts as stranded
        assert stranded_depths(redis_actors.broker) == {"urgent": 0, "routine": 0}
    finally:
        worker.close()


def test_a_broker_that_cannot_be_counted_falls_back_and_says_so_once(
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    clock: Clock,
    data_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given stuck rows and a Redis nobody listens on (port 1)
    ids = _backlog(outbox, clock, 3)
    clock.advance(STUCK_AFTER_S * 3)
    broker, _ = build_broker("redis://127.0.0.1:1/0", data_dir=data_dir)
    held = broker_count(broker)
    sent: list[int] = []

    # When two passes run
    with caplog.at_level(logging.WARNING, logger="queues.sweeper"):
        for _ in range(2):
            with session_factory.begin() as session:
                requeue_stuck_deliveries(
                    session,
                    now=clock(),
                    stuck_after_s=STUCK_AFTER_S,
                    enqueue=lambda i, _p: sent.append(i),
                    held=held,
                )
    broker.close()

    # Then the first sends every stuck row as before, and one warning says why
    assert sent == ids
    assert caplog.text.count("the count failed (ConnectionError)") == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_rabbitmq_is_counted_and_a_held_backlog_is_not_resent(
    rabbitmq_url: str,
    data_dir: Path,
    session_factory: sessionmaker[Session],
    transports: PartnerTransports,
    outbox: Outbox,
    clock: Clock,
) -> None:
    # Given 30 routine and 5 urgent rows in RabbitMQ, 10 routine ones never sent
    actors_iter = _actors(rabbitmq_url, data_dir, session_factory, transports)
    actors = next(actors_iter)
    try:
        routine = _backlog(outbox, clock, 40)
        urgent = _backlog(outbox, clock, 5, priority="urgent")
        actors.enqueue_many([(i, "routine") for i in routine[:30]])
        actors.enqueue_many([(i, "urgent") for i in urgent])
        wait_until(
            lambda: queue_depths(actors.broker) == {"urgent": 5, "routine": 30},
            what="RabbitMQ to count the sent messages",
        )
        clock.advance(STUCK_AFTER_S * 3)

        # When the sweeper passes
        sent = _Sweep(session_factory, actors, clock)()

        # Then it re-sends the 10 missing routine rows only, longest waiting first
        assert sent == sorted(routine, reverse=True)[:10]
        wait_until(
            lambda: queue_depths(actors.broker) == {"urgent": 5, "routine": 40},
            what="RabbitMQ to count the re-sent messages",
        )
    finally:
        actors_iter.close()


def test_a_pass_never_sends_a_row_twice_when_a_dead_workers_row_also_waits_longest(
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    clock: Clock,
    redis_actors: DeliveryActors,
) -> None:
    # Given 200 rows of which the broker lost one, and the row waiting longest claimed
    # by a worker that then died: it is both unvouched and first in line for the deficit
    ids = _backlog(outbox, clock, 200)
    redis_actors.enqueue_many([(i, "routine") for i in ids if i != ids[3]])
    _claimed_by_a_dead_worker(session_factory, clock, ids[-1])
    clock.advance(STUCK_AFTER_S * 3)

    # When the sweeper passes
    sent = _Sweep(session_factory, redis_actors, clock)()

    # Then the dead worker's row goes once, and the deficit of one takes the next longest
    assert sent == [ids[-1], ids[-2]]
