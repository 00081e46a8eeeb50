"""Messages sent in one pipeline on a real Redis: in the queue as ``enqueue`` leaves them,
each seen by the middleware, and run by a real dramatiq worker."""

import threading
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
from dramatiq import Broker, Message, Middleware
from dramatiq.brokers.stub import StubBroker

from queues.pipelined import PipelinedRedisBroker, enqueue_all


class SeenEnqueued(Middleware):
    """Records the message ids the broker's ``enqueue`` hooks saw, before and after."""

    def __init__(self) -> None:
        self.before: list[str] = []
        self.after: list[str] = []

    def before_enqueue(self, broker: Broker, message: Message[Any], delay: int | None) -> None:
        self.before.append(message.message_id)

    def after_enqueue(self, broker: Broker, message: Message[Any], delay: int | None) -> None:
        self.after.append(message.message_id)


@pytest.fixture
def broker(redis_url: str) -> Iterator[PipelinedRedisBroker]:
    broker = PipelinedRedisBroker(url=redis_url, middleware=[SeenEnqueued()])
    yield broker
    broker.close()


def _seen(broker: Broker) -> SeenEnqueued:
    [seen] = [m for m in broker.middleware if isinstance(m, SeenEnqueued)]
    return seen


def test_messages_sent_in_one_pipeline_are_run_once_each(broker: PipelinedRedisBroker) -> None:
    # Given an actor that records its calls
    ran: list[int] = []
    all_ran = threading.Event()

    def record(number: int) -> None:
        ran.append(number)
        if len(ran) == 5:
            all_ran.set()

    actor = dramatiq.actor(broker=broker, actor_name="record", queue_name="routine")(record)

    # When five messages go in one pipeline
    messages = [actor.message(number) for number in range(5)]
    sent = broker.enqueue_many(messages)

    # Then Redis holds five, each passed through the enqueue hooks with its own Redis id
    assert broker.client.hlen(f"{broker.namespace}:routine.msgs") == 5
    assert _seen(broker).before == _seen(broker).after == [m.message_id for m in messages]
    assert len({m.options["redis_message_id"] for m in sent}) == 5
    # And a worker runs each of them once
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        assert all_ran.wait(30)
        worker.join()
    finally:
        worker.stop()
    assert sorted(ran) == [0, 1, 2, 3, 4]
    assert broker.client.hlen(f"{broker.namespace}:routine.msgs") == 0


def test_other_brokers_get_the_messages_one_by_one() -> None:
    # Given dramatiq's in-memory broker, which has no pipeline
    stub = StubBroker(middleware=[SeenEnqueued()])
    actor = dramatiq.actor(broker=stub, actor_name="noop", queue_name="routine")(lambda: None)
    messages = [actor.message() for _ in range(3)]

    # When they are sent together
    enqueue_all(stub, messages)

    # Then each went through the broker's own enqueue
    assert stub.queues["routine"].qsize() == 3
    assert _seen(stub).after == [m.message_id for m in messages]
    stub.close()
