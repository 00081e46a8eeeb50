"""How many messages the broker holds per lane, read from the broker itself.

The sweeper compares this count with the outbox's to tell a lost message from one
only waiting; ``/metrics`` and the admin dashboard show it as queue depth.
"""

import time

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name

from queues.lanes import LANES

__all__ = ["queue_depths", "stranded_depths"]


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


def stranded_depths(broker: dramatiq.Broker | None) -> dict[str, int]:
    """Messages per lane that a dead worker took and never acked: held, but going nowhere.

    dramatiq's Redis broker files a taken message under its worker's id
    (``<namespace>:__acks__.<worker>.<queue>``) and gives it back only when a random
    maintenance pass — about one command in a thousand — finds that worker's heartbeat
    older than ``heartbeat_timeout``: minutes, on an idle hub. Until then
    ``queue_depths`` counts it as held. A worker is dead here by that same rule. Empty
    for other brokers: RabbitMQ returns a dead consumer's messages when its connection
    drops, and the stub broker has no workers to lose.

    Raises:
      redis.RedisError: Redis did not answer.
    """
    if not isinstance(broker, RedisBroker):
        return {}
    client, namespace = broker.client, broker.namespace
    silent_since_ms = int(time.time() * 1000) - broker.heartbeat_timeout
    # dramatiq's client answers bytes: the worker ids as the script wrote them.
    dead = [
        worker.decode() if isinstance(worker, bytes) else str(worker)
        for worker in client.zrangebyscore(f"{namespace}:__heartbeats__", 0, silent_since_ms)
    ]
    taken = [
        (lane, f"{namespace}:__acks__.{worker}.{queue}")
        for worker in dead
        for lane in LANES
        for queue in (lane, dq_name(lane))
    ]
    pipe = client.pipeline(transaction=False)
    for _lane, key in taken:
        pipe.scard(key)
    stranded = dict.fromkeys(LANES, 0)
    for (lane, _key), size in zip(taken, pipe.execute(), strict=True):
        stranded[lane] += int(size)
    return stranded


def _rabbitmq_depth(broker: RabbitmqBroker, lane: str) -> int:
    ready, delayed, _dead = broker.get_queue_message_counts(lane)
    return ready + delayed
