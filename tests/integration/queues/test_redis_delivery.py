"""Delivery through a real Redis: one wake per lane moves a backlog in batches, urgent first.

A wake is a Redis message naming a partner and a lane, so a backlog of rows is a
message or two, not one per row; a retry's wake waits in Redis' delay queue.
(A Redis that loses its wakes: ``test_sweeper``.)
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import InMemoryTransport
from hub.store import DeliveryStatus, OutboxDelivery
from queues import PartnerTransports, build_broker
from queues.depths import queue_depths
from tests.integration.queues.queue_helpers import (
    Outbox,
    RunningWorker,
    make_context,
    start_worker,
    wait_until,
)

#: Rows a wake claims, in these tests.
BATCH = 20


@pytest.fixture
def redis_worker(
    redis_url: str,
    data_dir: Path,
    session_factory: sessionmaker[Session],
    transports: PartnerTransports,
) -> Iterator[RunningWorker]:
    """A one-thread worker on the Redis at ``redis_url`` (not started); batches of 20."""
    broker, embedded = build_broker(redis_url, data_dir=data_dir)
    assert embedded is None
    context = make_context(session_factory, transports, batch_size=BATCH)
    running = start_worker(broker, context, threads=1)
    yield running
    running.worker.stop()
    broker.close()


def _count_delivered(session_factory: sessionmaker[Session], total: int) -> bool:
    with session_factory() as session:
        delivered = session.scalar(
            select(func.count())
            .select_from(OutboxDelivery)
            .where(OutboxDelivery.status == DeliveryStatus.DELIVERED)
        )
        return delivered == total


def test_an_urgent_message_waits_for_one_routine_batch_at_most(
    redis_worker: RunningWorker,
    session_factory: sessionmaker[Session],
    real_time_outbox: Outbox,
    partner: InMemoryTransport,
) -> None:
    # Given 200 routine messages, then one urgent, their lanes woken as the ingest wakes
    # them, while no worker runs
    routine = real_time_outbox.deliveries(200, priority="routine")
    urgent = real_time_outbox.delivery(priority="urgent")
    sent = redis_worker.actors.wake_for(
        [*(("social", "routine") for _ in routine), ("social", "urgent")]
    )

    # Then Redis holds one wake per lane, not one message per row
    assert sent == 2
    assert queue_depths(redis_worker.broker) == {"urgent": 1, "routine": 1}

    # When a one-thread worker starts
    redis_worker.worker.start()
    wait_until(lambda: _count_delivered(session_factory, 201), what="201 deliveries")

    # Then the urgent message went no later than after the first routine batch, the
    # routine ones in order, and nothing twice
    order = [m.delivery_id for m in partner.delivered]
    assert order.index(urgent) <= BATCH
    assert [i for i in order if i != urgent] == routine
    assert {real_time_outbox.get(i).attempts for i in (routine[0], routine[-1], urgent)} == {1}


def test_a_retry_waits_in_redis_for_its_due_time_and_the_rest_of_its_batch_goes_at_once(
    redis_worker: RunningWorker,
    session_factory: sessionmaker[Session],
    real_time_outbox: Outbox,
    partner: InMemoryTransport,
) -> None:
    # Given three rows, and a partner down for the first call
    ids = real_time_outbox.deliveries(3)
    partner.fail_next(1)

    # When the lane is woken and a worker runs
    redis_worker.actors.wake("social", "routine")
    redis_worker.worker.start()
    wait_until(lambda: _count_delivered(session_factory, 3), what="3 deliveries")

    # Then the failed row was retried by a delayed wake, and the rest, given back
    # untried, went with the wake sent at once (in either order: the backoff is 1 ms)
    assert sorted(m.delivery_id for m in partner.delivered) == ids
    assert [a.outcome for a in real_time_outbox.get(ids[0]).attempt_log] == ["retry", "delivered"]
    assert [a.outcome for a in real_time_outbox.get(ids[2]).attempt_log] == ["delivered"]
    # And Redis holds no wake once the last is acknowledged: nothing more was due
    wait_until(
        lambda: queue_depths(redis_worker.broker) == {"urgent": 0, "routine": 0},
        what="Redis to hold no wake",
    )
