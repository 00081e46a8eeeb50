"""The sweeper: one pass re-sends stuck push rows and marks them; the loop survives failures."""

import logging
import threading
from datetime import timedelta
from typing import Any

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy.orm import Session, sessionmaker

from hub.config import Settings
from hub.store import DeliveryMode, DeliveryStatus, OutboxDelivery
from queues import PartnerTransports, build_middleware, requeue_stuck_deliveries, run_sweeper
from tests.integration.queues.queue_helpers import (
    Clock,
    Outbox,
    make_context,
    start_worker,
    wait_until,
)


def test_one_pass_sends_stuck_rows_by_priority_and_marks_them_enqueued(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    routine = outbox.delivery()
    urgent = outbox.delivery(priority="urgent")
    outbox.delivery(mode=DeliveryMode.PULL)
    outbox.delivery(status=DeliveryStatus.DELIVERED)
    sent: list[tuple[int, str]] = []
    later = clock.advance(121)

    with session_factory.begin() as session:
        count = requeue_stuck_deliveries(
            session, now=later, stuck_after_s=120, enqueue=lambda i, p: sent.append((i, p))
        )
    with session_factory.begin() as session:
        again = requeue_stuck_deliveries(
            session, now=later, stuck_after_s=120, enqueue=lambda i, p: sent.append((i, p))
        )

    assert (count, again) == (2, 0)
    assert sent == [(urgent, "urgent"), (routine, "routine")]
    assert outbox.get(routine).enqueued_at == later


def test_a_row_is_marked_before_its_message_reaches_the_broker(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given a parked row (its partner's circuit was open), due now
    delivery_id = outbox.delivery(created_at=clock() - timedelta(hours=1))
    later = clock.advance(1)
    seen_at_send: list[tuple[object, int]] = []

    with session_factory.begin() as session:

        def enqueue(sent_id: int, _priority: str) -> None:
            # A worker may take the message now: the row must already be marked (and so
            # locked), or a park of the worker's would be overwritten by the mark.
            row = session.get_one(OutboxDelivery, sent_id, populate_existing=True)
            seen_at_send.append((row.enqueued_at, row.resends))

        requeue_stuck_deliveries(session, now=later, stuck_after_s=60, enqueue=enqueue)

    assert seen_at_send == [(later, 1)]
    assert outbox.get(delivery_id).enqueued_at == later


def test_a_failed_send_leaves_the_rows_unmarked_for_the_next_pass(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    delivery_id = outbox.delivery(created_at=clock() - timedelta(hours=1))

    def broker_down(_id: int, _priority: str) -> None:
        raise ConnectionError("redis down")

    with pytest.raises(ConnectionError), session_factory.begin() as session:
        requeue_stuck_deliveries(session, now=clock(), stuck_after_s=60, enqueue=broker_down)

    assert outbox.get(delivery_id).enqueued_at is None


class _FlakyBroker(StubBroker):
    """An in-memory broker that refuses its first send, as a Redis briefly down would."""

    sends = 0

    def enqueue(
        self, message: dramatiq.Message[Any], *, delay: int | None = None
    ) -> dramatiq.Message[Any]:
        self.sends += 1
        if self.sends == 1:
            raise ConnectionError("redis down")
        return super().enqueue(message, delay=delay)


def test_the_loop_logs_a_failed_pass_and_goes_on(
    session_factory: sessionmaker[Session],
    transports: PartnerTransports,
    real_time_outbox: Outbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a row nobody sent, and a broker that fails the first send
    delivery_id = real_time_outbox.delivery()
    broker = _FlakyBroker(middleware=build_middleware())
    running = start_worker(broker, make_context(session_factory, transports))
    stop = threading.Event()
    settings = Settings(sweep_interval_s=0.01, stuck_after_s=0.001)
    sweeper = threading.Thread(
        target=run_sweeper, args=(session_factory, running.actors, settings, stop)
    )

    # When the loop runs until the row is delivered
    running.worker.start()
    with caplog.at_level(logging.ERROR, logger="queues.sweeper"):
        sweeper.start()
        try:
            wait_until(
                lambda: real_time_outbox.get(delivery_id).status is DeliveryStatus.DELIVERED,
                what="the swept row to be delivered",
            )
        finally:
            stop.set()
            sweeper.join()
            running.worker.stop()

    # Then the failed pass was logged and a later pass sent the row
    assert broker.sends >= 2
    assert "sweeper pass failed" in caplog.text
