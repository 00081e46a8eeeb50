"""The delivery actors on dramatiq's StubBroker with a real worker: a wake delivers a batch.

A wake names a partner and a lane; the worker delivers up to a batch of that lane's
due rows, then wakes the lane again at once when the batch was full, or with a
delayed wake when a row it left waiting is due (a retry's backoff). The rows'
attempts, retries and dead letters are in the outbox, never in dramatiq's.
"""

from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from dramatiq.broker import MessageProxy
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import InMemoryTransport, PartnerRejected, PartnerUnavailable
from hub.store import DeliveryStatus, Partner, replay_dead
from queues import DeliveryContext, PartnerTransports, build_broker
from tests.integration.queues.http_partner import HTTP_ADAPTER, HttpPartner
from tests.integration.queues.queue_helpers import (
    Clock,
    Outbox,
    RunningWorker,
    make_context,
    start_worker,
    wait_until,
)


class _Wakes(dramatiq.Middleware):
    """Records the wakes a worker ran (lane, partner), and the delay of each delayed wake sent."""

    def __init__(self) -> None:
        self.ran: list[tuple[str, str]] = []
        self.delays_ms: list[int] = []

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        self.ran.append((message.queue_name, message.args[0]))

    def after_enqueue(
        self, broker: dramatiq.Broker, message: dramatiq.Message[Any], delay: int | None
    ) -> None:
        if delay is not None:
            self.delays_ms.append(delay)


#: Starts a stub-broker worker for a context: ``start(context) -> (worker, wakes)``.
Start = Callable[[DeliveryContext], tuple[RunningWorker, _Wakes]]


@pytest.fixture
def start(data_dir: Path) -> Iterator[Start]:
    """Starts workers on StubBrokers of ``build_broker``'s kind; stops them after the test."""
    running: list[RunningWorker] = []

    def run(context: DeliveryContext) -> tuple[RunningWorker, _Wakes]:
        broker, _ = build_broker("stub://", data_dir=data_dir)
        wakes = _Wakes()
        broker.add_middleware(wakes)
        worker = start_worker(broker, context)
        worker.worker.start()
        running.append(worker)
        return worker, wakes

    yield run
    for worker in running:
        worker.worker.stop()
        worker.broker.close()


@pytest.fixture
def context(
    session_factory: sessionmaker[Session], transports: PartnerTransports
) -> DeliveryContext:
    """Four attempts a row, 1–10 ms backoff, batches of 20, the wall clock."""
    return make_context(session_factory, transports)


def test_a_partner_failing_twice_gets_the_row_on_the_third_attempt(
    start: Start, context: DeliveryContext, real_time_outbox: Outbox, partner: InMemoryTransport
) -> None:
    # Given a row, and a partner down for its first two attempts
    delivery_id = real_time_outbox.delivery()
    partner.fail_next(2)
    worker, wakes = start(context)

    # When its lane is woken once
    worker.actors.wake("social", "routine")
    worker.drain()

    # Then each failure sent a delayed wake, and the third attempt delivered it
    row = real_time_outbox.get(delivery_id)
    assert (row.status, row.attempts, row.next_attempt_at) == (DeliveryStatus.DELIVERED, 3, None)
    assert [(a.number, a.outcome) for a in row.attempt_log] == [
        (1, "retry"),
        (2, "retry"),
        (3, "delivered"),
    ]
    assert [m.delivery_id for m in partner.delivered] == [delivery_id]
    assert wakes.ran == [("routine", "social")] * 3
    assert len(wakes.delays_ms) == 2


def test_waking_a_lane_again_delivers_nothing_twice(
    start: Start, context: DeliveryContext, real_time_outbox: Outbox, partner: InMemoryTransport
) -> None:
    # Given an urgent row delivered by a first wake
    delivery_id = real_time_outbox.delivery(priority="urgent")
    worker, wakes = start(context)
    worker.actors.wake("social", "urgent")
    worker.drain()

    # When the lanes are woken again, the urgent one twice over
    sent = worker.actors.wake_for(
        [("social", "urgent"), ("social", "urgent"), ("social", "routine")]
    )
    worker.actors.wake("social", "urgent")
    worker.drain()

    # Then one wake went per lane, each found nothing due, and the row was delivered once
    assert sent == 2
    assert sorted(wakes.ran) == [("routine", "social"), *[("urgent", "social")] * 3]
    assert len(partner.delivered) == 1
    assert real_time_outbox.get(delivery_id).attempts == 1


def test_a_wake_delivers_only_its_own_lanes_rows(
    start: Start, context: DeliveryContext, real_time_outbox: Outbox, partner: InMemoryTransport
) -> None:
    # Given an urgent and a routine row
    urgent = real_time_outbox.delivery(priority="urgent")
    routine = real_time_outbox.delivery(priority="routine")
    worker, _ = start(context)

    # When only the routine lane is woken
    worker.actors.wake("social", "routine")
    worker.drain()

    # Then only the routine row went; the urgent one waits for its own wake, unattempted
    assert [m.delivery_id for m in partner.delivered] == [routine]
    row = real_time_outbox.get(urgent)
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 0)

    worker.actors.wake("social", "urgent")
    worker.drain()
    assert [m.delivery_id for m in partner.delivered] == [routine, urgent]


def test_a_full_batch_wakes_its_lane_again_until_the_backlog_is_delivered(
    start: Start,
    session_factory: sessionmaker[Session],
    transports: PartnerTransports,
    real_time_outbox: Outbox,
    partner: InMemoryTransport,
) -> None:
    # Given ten rows and batches of three
    ids = real_time_outbox.deliveries(10)
    worker, wakes = start(make_context(session_factory, transports, batch_size=3))

    # When the lane is woken once
    worker.actors.wake("social", "routine")
    worker.drain()

    # Then batches of 3, 3, 3 and 1 delivered them in order, each full one waking the next
    assert [m.delivery_id for m in partner.delivered] == ids
    assert wakes.ran == [("routine", "social")] * 4
    assert wakes.delays_ms == []
    assert {real_time_outbox.get(i).attempts for i in ids} == {1}


def test_a_failure_ends_the_batch_its_rest_goes_with_the_next_wake_and_the_failed_row_later(
    start: Start, context: DeliveryContext, real_time_outbox: Outbox, partner: InMemoryTransport
) -> None:
    # Given five rows, and a partner that fails the first call only
    ids = real_time_outbox.deliveries(5)
    partner.fail_next(1)
    worker, wakes = start(context)

    # When the lane is woken
    worker.actors.wake("social", "routine")
    worker.drain()

    # Then the first batch called the partner once: the rest was given back unattempted
    # and went with the wake sent at once; the failed row went with the one delayed wake
    assert wakes.ran == [("routine", "social")] * 3
    assert len(wakes.delays_ms) == 1
    # (in either order: the backoff here is a millisecond)
    assert sorted(m.delivery_id for m in partner.delivered) == ids
    first = real_time_outbox.get(ids[0])
    assert [(a.number, a.outcome) for a in first.attempt_log] == [(1, "retry"), (2, "delivered")]
    for delivery_id in ids[1:]:
        row = real_time_outbox.get(delivery_id)
        assert [(a.number, a.outcome) for a in row.attempt_log] == [(1, "delivered")]


def test_a_refusal_is_dead_at_once_and_a_replay_delivers_it(
    start: Start,
    context: DeliveryContext,
    real_time_outbox: Outbox,
    partner: InMemoryTransport,
    session_factory: sessionmaker[Session],
) -> None:
    # Given a partner that refuses the message
    delivery_id = real_time_outbox.delivery()
    partner.fail_next(1, PartnerRejected("HTTP 400"))
    worker, wakes = start(context)

    # When its lane is woken
    worker.actors.wake("social", "routine")
    worker.drain()

    # Then the row is dead after one attempt; the wake itself succeeded (dramatiq holds no
    # dead letter) and sent no other
    row = real_time_outbox.get(delivery_id)
    assert (row.status, row.attempts, row.last_error) == (
        DeliveryStatus.DEAD,
        1,
        "PartnerRejected: HTTP 400",
    )
    assert [a.outcome for a in row.attempt_log] == ["rejected"]
    assert isinstance(worker.broker, StubBroker)
    assert worker.broker.dead_letters == []
    assert wakes.ran == [("routine", "social")]

    # When an administrator replays it and its lane is woken
    with session_factory.begin() as session:
        replayed = replay_dead(session, delivery_id, now=datetime.now(UTC))
        priority = replayed.priority
    worker.actors.wake_for([("social", priority)])
    worker.drain()

    # Then it is delivered, with the whole history kept
    row = real_time_outbox.get(delivery_id)
    assert (row.status, row.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert [a.outcome for a in row.attempt_log] == ["rejected", "delivered"]
    assert len(partner.delivered) == 1


def test_a_row_is_dead_after_max_retries_plus_one_attempts(
    start: Start,
    session_factory: sessionmaker[Session],
    transports: PartnerTransports,
    real_time_outbox: Outbox,
    partner: InMemoryTransport,
) -> None:
    # Given a partner that never answers, and two retries allowed
    delivery_id = real_time_outbox.delivery()
    partner.fail_next(10)
    worker, wakes = start(make_context(session_factory, transports, max_retries=2))

    # When its lane is woken
    worker.actors.wake("social", "routine")
    worker.drain()

    # Then three attempts were made, the last one left the row dead, and nothing woke the
    # lane after it
    row = real_time_outbox.get(delivery_id)
    assert (row.status, row.attempts, row.next_attempt_at) == (DeliveryStatus.DEAD, 3, None)
    assert row.last_error == "PartnerUnavailable: simulated outage"
    assert [a.outcome for a in row.attempt_log] == ["retry", "retry", "dead"]
    assert partner.delivered == []
    assert len(wakes.ran) == 3
    assert isinstance(worker.broker, StubBroker)
    assert worker.broker.dead_letters == []


def test_a_retry_is_woken_when_the_row_is_due(
    start: Start,
    session_factory: sessionmaker[Session],
    transports: PartnerTransports,
    outbox: Outbox,
    clock: Clock,
    partner: InMemoryTransport,
) -> None:
    # Given a backoff of at least a minute, and a clock that stands still
    context = make_context(session_factory, transports, min_backoff_ms=60_000, clock=clock)
    delivery_id = outbox.delivery()
    partner.fail_next(1)
    worker, wakes = start(context)

    # When the first attempt fails
    worker.actors.wake("social", "routine")
    wait_until(lambda: wakes.delays_ms, what="the delayed wake")

    # Then the row is due 60-120 s later (backoff with jitter), and the wake is delayed
    # until then: never sooner (it would claim nothing), at most a moment later
    row = outbox.get(delivery_id)
    assert (row.status, row.attempts) == (DeliveryStatus.RETRYING, 1)
    assert row.next_attempt_at is not None
    due_ms = (row.next_attempt_at - clock()) / timedelta(milliseconds=1)
    assert 60_000 <= due_ms <= 120_000
    [delay_ms] = wakes.delays_ms
    assert due_ms <= delay_ms <= due_ms + 2


def test_a_retry_due_in_a_fraction_of_a_millisecond_is_not_woken_before_it(
    start: Start,
    session_factory: sessionmaker[Session],
    transports: PartnerTransports,
    outbox: Outbox,
    clock: Clock,
    partner: InMemoryTransport,
) -> None:
    # Given a partner asking to be called again in 1.0015 s, and a clock that stands still
    context = make_context(session_factory, transports, min_backoff_ms=60_000, clock=clock)
    delivery_id = outbox.delivery()
    partner.fail_next(1, PartnerUnavailable("HTTP 503", retry_after_s=1.0015))
    worker, wakes = start(context)

    # When the attempt fails
    worker.actors.wake("social", "routine")
    wait_until(lambda: wakes.delays_ms, what="the delayed wake")

    # Then the wake is delayed past the row's due time, rounded up: dramatiq rounds its
    # own due time down, and a wake a moment early claims nothing and sends no other
    row = outbox.get(delivery_id)
    assert row.status is DeliveryStatus.RETRYING
    assert row.next_attempt_at is not None
    due_ms = (row.next_attempt_at - clock()) / timedelta(milliseconds=1)
    assert due_ms == 1001.5
    assert wakes.delays_ms == [1003]


def test_a_wake_for_a_paused_partner_claims_nothing_and_sends_no_other(
    start: Start,
    context: DeliveryContext,
    real_time_outbox: Outbox,
    partner: InMemoryTransport,
    session_factory: sessionmaker[Session],
) -> None:
    # Given a paused partner's row
    delivery_id = real_time_outbox.delivery()
    with session_factory.begin() as session:
        session.execute(update(Partner).where(Partner.code == "social").values(paused=True))
    worker, wakes = start(context)

    # When its lane is woken
    worker.actors.wake("social", "routine")
    worker.drain()

    # Then the row waits untouched, and the wake did not wake the lane again (no busy loop:
    # the sweeper wakes it after a resume)
    row = real_time_outbox.get(delivery_id)
    assert (row.status, row.attempts, row.attempt_log) == (DeliveryStatus.PENDING, 0, [])
    assert partner.delivered == []
    assert wakes.ran == [("routine", "social")]


def test_a_partners_retry_after_is_capped_at_the_maximum_backoff(
    start: Start, session_factory: sessionmaker[Session], real_time_outbox: Outbox
) -> None:
    # Given a real HTTP partner that answers 503 "come back in a day" once, then accepts,
    # and a worker whose backoff is at most 400 ms
    with (
        HttpPartner(fail_first=1, fail_status=503, retry_after="86400") as receiver,
        closing(
            PartnerTransports(session_factory, {HTTP_ADAPTER.code: HTTP_ADAPTER}, timeout_s=5)
        ) as transports,
    ):
        real_time_outbox.partner("web", adapter=HTTP_ADAPTER.code, endpoint=receiver.url)
        context = make_context(session_factory, transports, min_backoff_ms=100)
        assert context.retry.max_backoff_ms == 400
        delivery_id = real_time_outbox.delivery(recipient="web")
        worker, wakes = start(context)

        # When its lane is woken
        worker.actors.wake("web", "routine")
        worker.drain()

    # Then the retry's wake waited 400 ms at most, not the day, and the second attempt,
    # no sooner than 400 ms after the first, delivered it
    [delay_ms] = wakes.delays_ms
    assert 0 <= delay_ms <= 400
    row = real_time_outbox.get(delivery_id)
    first, second = row.attempt_log
    assert (first.outcome, first.error) == ("retry", "PartnerUnavailable: HTTP 503")
    assert second.outcome == "delivered"
    assert 0.4 <= (second.started_at - first.finished_at).total_seconds() < 10
    assert len(receiver.received) == 2
