"""How many messages the broker holds per lane, read from the broker itself.

``/metrics`` and the admin dashboard show it as queue depth: each message is a
wake of one partner's lane, so the depth counts wakes waiting, not rows.
"""

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name

from queues.lanes import LANES

__all__ = ["queue_depths"]


def queue_depths(broker: dramatiq.Broker | None) -> dict[str, int]:
    """Messages the broker holds per lane: waiting, delayed for a retry, or taken and not acked.

    Read from Redis with the broker's own client (dramatiq keeps each message in the
    hash ``<namespace>:<lane>.msgs``, delayed ones in ``<lane>.DQ.msgs``, until it is
    acked), from RabbitMQ by declaring the lane and its delay queue, or from a
    ``StubBroker``'s queues. Empty when there is no broker, or one of another kind.

    RabbitMQ counts only the messages ready in a queue: those a worker has fetched
    and not yet acked (at most its prefetch, and the delayed retries it holds until
    they are due) are left out, so its figure can fall short of what it holds.

    Raises:
      redis.RedisError: Redis did not answer.
      dramatiq.errors.ConnectionError, pika.exceptions.AMQPError: RabbitMQ did not answer.
    """
    if isinstance(broker, RedisBroker):
        pipe = broker.client.pipeline(transaction=False)
        for lane in LANES:
            pipe.hlen(f"{broker.namespace}:{lane}.msgs")
            pipe.hlen(f"{broker.namespace}:{dq_name(lane)}.msgs")
        sizes = pipe.execute()
        return {lane: int(sizes[2 * i]) + int(sizes[2 * i + 1]) for i, lane in enumerate(LANES)}
    if isinstance(broker, RabbitmqBroker):
        return {lane: _rabbitmq_depth(broker, lane) for lane in LANES}
    if isinstance(broker, StubBroker):
        return {
            lane: sum(
                broker.queues[name].qsize()
                for name in (lane, dq_name(lane))
                if name in broker.queues
            )
            for lane in LANES
        }
    return {}


def _rabbitmq_depth(broker: RabbitmqBroker, lane: str) -> int:
    ready, delayed, _dead = broker.get_queue_message_counts(lane)
    return ready + delayed
