"""Delivery through a real RabbitMQ: the broker swaps by URL, everything above it unchanged.

Each test wakes lanes as the API does (``build_broker`` + ``declare_actors``) on
``amqp://`` in a private virtual host, and a real ``run_worker`` (actors, delayed
wakes for retries, sweeper) delivers to a real HTTP partner on loopback.
PostgreSQL only: the broker does not touch the database, and the Redis tests cover
SQLite with the same worker.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from sqlalchemy.orm import Session, sessionmaker

from hub.config import Settings
from hub.errors import Rejection
from hub.operations import Actor, replay_dead_letters
from hub.runtime import HubRuntime, build_runtime
from hub.store import DeliveryStatus
from queues import (
    LANES,
    DeliveryActors,
    PartnerTransports,
    build_broker,
    declare_actors,
    run_worker,
)
from queues import utc_now as now
from signing import DevPki
from tests.integration.queues.http_partner import HTTP_ADAPTER, HttpPartner
from tests.integration.queues.queue_helpers import Outbox, make_context, wait_until
from tests.stack import fast_settings
from tooling.rig import ReservedPort

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

#: Attempts after the first before a row is dead, in these tests.
MAX_RETRIES = 1


@pytest.fixture
def settings(data_dir: Path, database_url: str, rabbitmq_url: str) -> Settings:
    """Fast retries (20–80 ms), and a sweeper every 0.1 s that wakes only rows due again
    (a retry, a replay): a pending row's wake counts as lost after a minute."""
    return fast_settings(data_dir, database_url, rabbitmq_url).model_copy(
        update={
            "delivery_max_retries": MAX_RETRIES,
            "delivery_min_backoff_ms": 20,
            "delivery_max_backoff_ms": 80,
            "stuck_after_s": 60.0,
            "sweep_interval_s": 0.1,
        }
    )


@pytest.fixture
def sender(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[DeliveryActors]:
    """The delivery actors on a RabbitMQ broker of the API's kind: it only sends."""
    broker, embedded = build_broker(settings.broker_url, data_dir=settings.data_dir)
    assert isinstance(broker, RabbitmqBroker)
    assert embedded is None
    context = make_context(session_factory, PartnerTransports(session_factory, {}, 1.0))
    yield declare_actors(broker, context)
    broker.close()


@contextmanager
def worker_running(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[None]:
    """``run_worker`` in a thread with the loopback HTTP partner's adapter; stopped on exit."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker,
        args=(settings, session_factory, {HTTP_ADAPTER.code: HTTP_ADAPTER}),
        kwargs={"stop": stop},
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive(), "the worker did not stop"


def _wait_for(outbox: Outbox, ids: list[int], status: DeliveryStatus) -> None:
    wait_until(
        lambda: all(outbox.get(i).status is status for i in ids),
        timeout_s=20,
        what=f"rows {ids} {status.value}",
    )


def _send_one(
    session_factory: sessionmaker[Session], sender: DeliveryActors, receiver: HttpPartner
) -> tuple[Outbox, int]:
    """One urgent row for the loopback HTTP partner, its lane woken through RabbitMQ."""
    outbox = Outbox(session_factory)
    outbox.partner("social", adapter=HTTP_ADAPTER.code, endpoint=receiver.url)
    delivery_id = outbox.delivery(priority="urgent")
    sender.wake("social", "urgent")
    return outbox, delivery_id


def _queue_counts(sender: DeliveryActors) -> dict[str, tuple[int, int, int]]:
    """Per lane, what RabbitMQ holds: (waiting, delayed, dramatiq dead letters).

    Messages a worker has fetched and not yet acknowledged are not counted."""
    assert isinstance(sender.broker, RabbitmqBroker)
    return {lane: sender.broker.get_queue_message_counts(lane) for lane in LANES}


def _wait_for_empty(sender: DeliveryActors, lane: str) -> None:
    """Until RabbitMQ holds no wake for ``lane``: a wake a worker took is acknowledged a moment
    after its batch, and a sweeper's duplicate wake of a retry may still be on its way."""
    wait_until(
        lambda: _queue_counts(sender)[lane] == (0, 0, 0),
        timeout_s=20,
        what=f"RabbitMQ to hold no {lane} wake",
    )


def test_rows_on_both_lanes_are_delivered_once_through_a_real_worker(
    settings: Settings, session_factory: sessionmaker[Session], sender: DeliveryActors
) -> None:
    with HttpPartner() as receiver:
        # Given two urgent and two routine rows for an HTTP partner, their lanes woken
        # through RabbitMQ: one wake a lane
        outbox = Outbox(session_factory)
        outbox.partner("social", adapter=HTTP_ADAPTER.code, endpoint=receiver.url)
        urgent = outbox.deliveries(2, priority="urgent")
        routine = outbox.deliveries(2, priority="routine")
        pairs = [("social", "urgent")] * 2 + [("social", "routine")] * 2
        assert sender.wake_for(pairs) == 2
        wait_until(
            lambda: _queue_counts(sender) == {"urgent": (1, 0, 0), "routine": (1, 0, 0)},
            what="RabbitMQ to count the two wakes",
        )

        # When a worker runs on the same RabbitMQ
        with worker_running(settings, session_factory):
            _wait_for(outbox, urgent + routine, DeliveryStatus.DELIVERED)
            # Then RabbitMQ holds nothing more: both wakes were acknowledged
            _wait_for_empty(sender, "urgent")
            _wait_for_empty(sender, "routine")

    # And the partner received each message once, on the first attempt
    rows = [outbox.get(i) for i in urgent + routine]
    assert sorted(receiver.received) == sorted(row.message.message_id for row in rows)
    assert {(row.attempts, tuple(a.outcome for a in row.attempt_log)) for row in rows} == {
        (1, ("delivered",))
    }


def test_a_failing_partner_is_retried_by_a_delayed_wake_then_delivered(
    settings: Settings, session_factory: sessionmaker[Session], sender: DeliveryActors
) -> None:
    # Given a partner that answers 500 once, then accepts
    with HttpPartner(fail_first=MAX_RETRIES) as receiver:
        outbox, delivery_id = _send_one(session_factory, sender, receiver)

        # When the worker delivers it
        with worker_running(settings, session_factory):
            _wait_for(outbox, [delivery_id], DeliveryStatus.DELIVERED)
            _wait_for_empty(sender, "urgent")

    # Then the retry's wake went through RabbitMQ's delay queue and the next attempt succeeded
    row = outbox.get(delivery_id)
    assert [(a.number, a.outcome, a.error) for a in row.attempt_log] == [
        (1, "retry", "PartnerUnavailable: HTTP 500"),
        (2, "delivered", None),
    ]
    assert row.remote_reference == "ref-2"
    assert receiver.received == [row.message.message_id] * 2


def test_a_partner_asking_for_a_day_is_retried_after_the_maximum_backoff(
    settings: Settings, session_factory: sessionmaker[Session], sender: DeliveryActors
) -> None:
    # Given a partner that answers 503 "come back in a day" once, then accepts
    with HttpPartner(fail_first=1, fail_status=503, retry_after="86400") as receiver:
        outbox, delivery_id = _send_one(session_factory, sender, receiver)

        # When the worker delivers it
        with worker_running(settings, session_factory):
            _wait_for(outbox, [delivery_id], DeliveryStatus.DELIVERED)
            _wait_for_empty(sender, "urgent")

    # Then the retry waited the configured 80 ms, not the day (a day, or dramatiq's 7-day
    # cap, would outlast RabbitMQ's consumer_timeout), and the second attempt delivered
    row = outbox.get(delivery_id)
    first, second = row.attempt_log
    assert (first.outcome, first.error) == ("retry", "PartnerUnavailable: HTTP 503")
    assert second.outcome == "delivered"
    waited_s = (second.started_at - first.finished_at).total_seconds()
    assert settings.delivery_max_backoff_ms / 1000 <= waited_s < 20


def test_a_final_failure_is_dead_in_the_outbox_and_a_replay_delivers_it(
    settings: Settings, session_factory: sessionmaker[Session], sender: DeliveryActors
) -> None:
    # Given a partner that answers 500 to every attempt the retry policy allows
    attempts = MAX_RETRIES + 1
    with HttpPartner(fail_first=attempts) as receiver:
        outbox, delivery_id = _send_one(session_factory, sender, receiver)

        with worker_running(settings, session_factory):
            # When the retries run out
            _wait_for(outbox, [delivery_id], DeliveryStatus.DEAD)
            # Then the row is dead after exactly the allowed attempts; the wakes all
            # succeeded, so dramatiq's dead-letter queue stays empty
            dead = outbox.get(delivery_id)
            assert [(a.number, a.outcome) for a in dead.attempt_log] == [(1, "retry"), (2, "dead")]
            _wait_for_empty(sender, "urgent")

            # When an operator replays it (the worker's sweeper wakes its lane)
            with session_factory.begin() as session:
                replayed = replay_dead_letters(
                    session,
                    actor=Actor(login="cli:test", role="operator"),
                    reason="partner fixed",
                    now=now(),
                    ids=[delivery_id],
                )
            assert replayed == [delivery_id]
            _wait_for(outbox, [delivery_id], DeliveryStatus.DELIVERED)

    # Then it is delivered on the next attempt, with the same MessageId
    row = outbox.get(delivery_id)
    assert [a.outcome for a in row.attempt_log] == ["retry", "dead", "delivered"]
    assert receiver.received == [row.message.message_id] * (attempts + 1)


def test_a_retry_whose_wake_was_lost_is_woken_by_the_workers_sweeper(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    with HttpPartner() as receiver:
        # Given a row retrying since a failed attempt, due now, whose delayed wake RabbitMQ
        # lost: nothing in the broker names it
        outbox = Outbox(session_factory)
        outbox.partner("social", adapter=HTTP_ADAPTER.code, endpoint=receiver.url)
        delivery_id = outbox.delivery(
            status=DeliveryStatus.RETRYING, attempts=1, next_attempt_at=now()
        )

        # When a worker runs
        with worker_running(settings, session_factory):
            _wait_for(outbox, [delivery_id], DeliveryStatus.DELIVERED)

    # Then its sweeper woke the lane, and the row went on its second attempt
    row = outbox.get(delivery_id)
    assert (row.attempts, [(a.number, a.outcome) for a in row.attempt_log]) == (
        2,
        [(2, "delivered")],
    )
    assert receiver.received == [row.message.message_id]


def test_readiness_asks_rabbitmq_itself(settings: Settings, pki: DevPki) -> None:
    # Given runtimes on the vhost, and on a port held where nothing listens
    with (
        ReservedPort() as closed,
        _runtime(settings) as reachable,
        _runtime(
            settings.model_copy(
                update={"broker_url": f"amqp://guest:guest@127.0.0.1:{closed.port}/"}
            )
        ) as unreachable,
    ):
        # Then readiness tells them apart (a Redis broker is PINGed; RabbitMQ is dialled)
        assert reachable.broker_status() == "ok"
        assert unreachable.broker_status() == "error: AMQPConnectionError"


def test_the_rate_limit_counts_in_the_redis_named_for_it(
    settings: Settings, pki: DevPki, redis_url: str
) -> None:
    # Given a RabbitMQ hub whose rate limit counts in a Redis of its own, one a second
    limited = settings.model_copy(
        update={"rate_limit_redis_url": redis_url, "partner_rate_per_s": 1}
    )
    with _runtime(limited) as runtime:
        runtime.rate_limit.check("police", now=1_900_000_200.0)
        # Then the second message in that second is refused
        with pytest.raises(Rejection) as refusal:
            runtime.rate_limit.check("police", now=1_900_000_200.5)
    assert refusal.value.code == "auth.rate_limited"


@contextmanager
def _runtime(settings: Settings) -> Iterator[HubRuntime]:
    runtime = build_runtime(settings)
    try:
        yield runtime
    finally:
        runtime.close()
