"""Delivery actors on dramatiq's StubBroker with a real worker: retries, dead letters, replay."""

from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dramatiq
from dramatiq.broker import MessageProxy
from dramatiq.brokers.stub import StubBroker
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import InMemoryTransport, PartnerRejected
from hub.store import DeliveryStatus, OutboxDelivery, replay_dead
from queues import DeadLetter, PartnerTransports, build_broker
from tests.integration.queues.http_partner import HTTP_ADAPTER, HttpPartner
from tests.integration.queues.queue_helpers import (
    Outbox,
    RunningWorker,
    make_context,
    start_worker,
    wait_until,
)


def test_partner_fails_twice_then_takes_it(
    stub_worker: RunningWorker, real_time_outbox: Outbox, partner: InMemoryTransport
) -> None:
    delivery_id = real_time_outbox.delivery()
    partner.fail_next(2)

    stub_worker.actors.enqueue(delivery_id, "routine")
    stub_worker.drain()

    row = real_time_outbox.get(delivery_id)
    assert (row.status, row.attempts, row.next_attempt_at) == (DeliveryStatus.DELIVERED, 3, None)
    assert [(a.number, a.outcome) for a in row.attempt_log] == [
        (1, "retry"),
        (2, "retry"),
        (3, "delivered"),
    ]
    assert [m.delivery_id for m in partner.delivered] == [delivery_id]


def test_a_delivered_row_sent_again_is_not_delivered_again(
    stub_worker: RunningWorker, real_time_outbox: Outbox, partner: InMemoryTransport
) -> None:
    delivery_id = real_time_outbox.delivery(priority="urgent")

    stub_worker.actors.enqueue(delivery_id, "urgent")
    stub_worker.drain()
    stub_worker.actors.enqueue_many([(delivery_id, "urgent"), (delivery_id, "routine")])
    stub_worker.drain()

    assert len(partner.delivered) == 1
    assert real_time_outbox.get(delivery_id).attempts == 1


def test_rejection_goes_dead_at_once_and_replay_delivers_it(
    stub_worker: RunningWorker,
    real_time_outbox: Outbox,
    partner: InMemoryTransport,
    session_factory: sessionmaker[Session],
) -> None:
    # Given a partner that refuses the message
    delivery_id = real_time_outbox.delivery()
    partner.fail_next(1, PartnerRejected("HTTP 400"))

    # When it is sent
    stub_worker.actors.enqueue(delivery_id, "routine")
    stub_worker.drain()

    # Then it is dead after one attempt, in the database and in dramatiq's dead letters
    row = real_time_outbox.get(delivery_id)
    assert (row.status, row.attempts) == (DeliveryStatus.DEAD, 1)
    assert [a.outcome for a in row.attempt_log] == ["rejected"]
    assert isinstance(stub_worker.broker, StubBroker)
    assert [m.args for m in stub_worker.broker.dead_letters] == [(delivery_id,)]

    # When an administrator replays it
    with session_factory.begin() as session:
        replayed = replay_dead(session, delivery_id, now=datetime.now(UTC))
        priority = replayed.priority
    stub_worker.actors.enqueue(delivery_id, priority)
    stub_worker.drain()

    # Then it is delivered, with the whole history kept
    row = real_time_outbox.get(delivery_id)
    assert (row.status, row.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert [a.outcome for a in row.attempt_log] == ["rejected", "delivered"]
    assert len(partner.delivered) == 1


def test_retries_exhausted_goes_dead_after_max_retries_plus_one_attempts(
    session_factory: sessionmaker[Session],
    transports: PartnerTransports,
    real_time_outbox: Outbox,
    partner: InMemoryTransport,
    data_dir: Path,
) -> None:
    context = make_context(session_factory, transports, max_retries=2)
    broker, _ = build_broker("stub://", data_dir=data_dir)
    running = start_worker(broker, context)
    running.worker.start()
    try:
        delivery_id = real_time_outbox.delivery()
        partner.fail_next(10)

        running.actors.enqueue(delivery_id, "routine")
        running.drain()
    finally:
        running.worker.stop()

    row = real_time_outbox.get(delivery_id)
    assert (row.status, row.attempts) == (DeliveryStatus.DEAD, 3)
    assert [a.outcome for a in row.attempt_log] == ["retry", "retry", "dead"]
    assert partner.delivered == []


def test_the_retry_time_in_the_database_is_the_one_dramatiq_chose(
    session_factory: sessionmaker[Session],
    transports: PartnerTransports,
    real_time_outbox: Outbox,
    partner: InMemoryTransport,
    data_dir: Path,
) -> None:
    # Given a backoff of at least a minute
    context = make_context(session_factory, transports, min_backoff_ms=60_000)
    broker, _ = build_broker("stub://", data_dir=data_dir)
    delays = _RecordDelays()
    broker.add_middleware(delays)
    running = start_worker(broker, context)
    delivery_id = real_time_outbox.delivery()
    partner.fail_next(1)
    sent_at = datetime.now(UTC)

    # When the first attempt fails
    running.worker.start()
    try:
        running.actors.enqueue(delivery_id, "routine")
        row = wait_until(
            lambda: _retry_scheduled(real_time_outbox.get(delivery_id), after=sent_at),
            what="the retry to be scheduled",
        )
    finally:
        running.worker.stop()

    # Then the row is retrying, due at the message's eta: 60-120 s (backoff with jitter)
    assert row.status is DeliveryStatus.RETRYING
    assert row.next_attempt_at is not None
    delay_s = (row.next_attempt_at - sent_at).total_seconds()
    assert 60 <= delay_s <= 121
    assert row.next_attempt_at == datetime.fromtimestamp(delays.etas_ms[0] / 1000, UTC)


def _retry_scheduled(row: OutboxDelivery, *, after: datetime) -> OutboxDelivery | None:
    due = row.next_attempt_at
    return row if due is not None and due > after + timedelta(seconds=30) else None


class _RecordDelays(dramatiq.Middleware):
    """Records the delay and eta of every delayed enqueue: what Retries chose."""

    def __init__(self) -> None:
        self.delays_ms: list[int] = []
        self.etas_ms: list[int] = []

    def after_enqueue(
        self, broker: dramatiq.Broker, message: dramatiq.Message[Any], delay: int | None
    ) -> None:
        if delay is not None:
            self.delays_ms.append(delay)
            self.etas_ms.append(message.options["eta"])


def test_a_partners_retry_after_is_capped_at_the_maximum_backoff(
    session_factory: sessionmaker[Session], real_time_outbox: Outbox, data_dir: Path
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
        assert context.max_backoff_ms == 400
        broker, _ = build_broker("stub://", data_dir=data_dir)
        delays = _RecordDelays()
        broker.add_middleware(delays)
        running = start_worker(broker, context)
        delivery_id = real_time_outbox.delivery(recipient="web")

        # When it is sent
        running.worker.start()
        try:
            running.actors.enqueue(delivery_id, "routine")
            running.drain()
        finally:
            running.worker.stop()

    # Then the retry waited the maximum backoff, not the day, and the second attempt delivered
    assert delays.delays_ms == [400]
    row = real_time_outbox.get(delivery_id)
    first, second = row.attempt_log
    assert (first.outcome, first.error) == ("retry", "PartnerUnavailable: HTTP 503")
    assert second.outcome == "delivered"
    assert 0.4 <= (second.started_at - first.finished_at).total_seconds() < 10
    assert len(receiver.received) == 2


def test_dead_letter_marks_a_row_dramatiq_gave_up_on_and_ignores_other_actors(
    stub_worker: RunningWorker, real_time_outbox: Outbox
) -> None:
    # Given a retrying row claimed max_retries + 1 times whose last outcome was never
    # recorded (a time limit hit), and one claimed once whose other tries failed before
    # any claim (the database down)
    spent = stub_worker.actors.context.max_retries + 1
    delivery_id = real_time_outbox.delivery(status=DeliveryStatus.RETRYING, attempts=spent)
    cut_short = real_time_outbox.delivery(status=DeliveryStatus.RETRYING, attempts=1)
    other_id = real_time_outbox.delivery(status=DeliveryStatus.RETRYING, attempts=spent)
    broker = stub_worker.broker
    dead_letter = next(m for m in broker.middleware if isinstance(m, DeadLetter))
    lane = stub_worker.actors.by_lane["routine"]
    unrelated = dramatiq.actor(broker=broker, actor_name="unrelated")(lambda n: None)

    # When dramatiq fails their messages for good
    dead_letter.after_nack(broker, MessageProxy(lane.message(delivery_id)))
    dead_letter.after_nack(broker, MessageProxy(lane.message(cut_short)))
    dead_letter.after_nack(broker, MessageProxy(unrelated.message(other_id)))

    # Then only the delivery actor's row with its attempts spent is dead; the row cut
    # short waits for the sweeper
    row = real_time_outbox.get(delivery_id)
    assert (row.status, row.last_error) == (DeliveryStatus.DEAD, "broker gave up after 0 retries")
    assert real_time_outbox.get(cut_short).status is DeliveryStatus.RETRYING
    assert real_time_outbox.get(other_id).status is DeliveryStatus.RETRYING
