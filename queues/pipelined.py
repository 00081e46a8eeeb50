"""dramatiq's Redis broker with one more method: many messages sent in one round trip.

An API process hands the queue every push row of an ingest group at once
(``hub.ingest.group``). dramatiq sends each message with its own call of the broker's
dispatch script, one round trip each; ``enqueue_many`` runs the same script, with the
same arguments and the same ``enqueue`` middleware hooks, for every message in one
pipeline. The script is dramatiq's own, registered on the broker's client, and
``broker_id``, the heartbeat and dead-message settings and the maintenance draw are
read as ``RedisBroker._dispatch`` reads them (dramatiq is pinned in pyproject.toml,
and ``tests/integration/queues/test_pipelined_broker.py`` proves a worker takes what
the pipeline sent).
"""

from collections.abc import Sequence
from typing import Any
from uuid import uuid4

from dramatiq import Broker, Message
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import current_millis

__all__ = ["PipelinedRedisBroker", "enqueue_all"]


class PipelinedRedisBroker(RedisBroker):
    """A ``RedisBroker`` that can send many messages in one round trip."""

    def enqueue_many(self, messages: Sequence[Message[Any]]) -> list[Message[Any]]:
        """Enqueue ``messages`` (none delayed) in one pipeline; the messages as enqueued.

        Like ``enqueue`` for each: a fresh ``redis_message_id``, the middleware's
        ``before_enqueue`` and ``after_enqueue``. If the pipeline fails, some messages may
        be in Redis and some not: the caller treats it like a failed ``enqueue`` (the
        hub's sweeper re-sends from the outbox).
        """
        if len(messages) < 2:
            return [self.enqueue(message) for message in messages]
        dispatch = self.scripts["dispatch"]
        keys = [self.namespace]
        pipeline = self.client.pipeline(transaction=False)
        sent = []
        for original in messages:
            message = original.copy(options={"redis_message_id": str(uuid4())})
            self.emit_before("enqueue", message, None)
            dispatch(
                keys=keys,
                args=[
                    "enqueue",
                    current_millis(),
                    message.queue_name,
                    self.broker_id,
                    self.heartbeat_timeout,
                    self.dead_message_ttl,
                    self._should_do_maintenance("enqueue"),
                    self._max_unpack_size(),  # type: ignore[no-untyped-call]  # unannotated in dramatiq
                    message.options["redis_message_id"],
                    message.encode(),
                ],
                client=pipeline,
            )
            sent.append(message)
        pipeline.execute()
        for message in sent:
            self.emit_after("enqueue", message, None)
        return sent


def enqueue_all(broker: Broker, messages: Sequence[Message[Any]]) -> None:
    """Send ``messages`` at once where the broker can (``PipelinedRedisBroker``), else one
    by one."""
    if isinstance(broker, PipelinedRedisBroker):
        broker.enqueue_many(messages)
    else:
        for message in messages:
            broker.enqueue(message)
