"""The one place a broker is built: the URL picks the backend, the middleware chain is ours.

``redis://``, ``rediss://`` and ``unix://`` give a Redis broker (dramatiq's, able to
send many messages in one round trip: ``queues.pipelined``); ``amqp://`` and
``amqps://`` dramatiq's RabbitMQ broker; ``stub://`` dramatiq's in-memory
``StubBroker`` for tests; no URL at all the embedded Redis under the data folder.
The API process (which only sends) and the workers build it the same way, so
actor options are validated against the same middleware everywhere.

The backends are interchangeable because nothing of ours depends on one: the
lanes are two queues whose order the worker sets (actor ``priority``, in its own
memory, for either broker), a retry's wake is a delayed message (dramatiq's delay
queues), and the rows' attempts, due times and dead letters are in the outbox. RabbitMQ's per-queue
priorities (``max_priority``, ``broker_priority``) order messages within one
queue, which the lanes never need, so they stay off.
"""

import logging
from pathlib import Path
from urllib.parse import urlsplit

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Middleware, Retries, TimeLimit

from queues.embedded import EmbeddedRedis
from queues.errors import BrokerUrlUnsupported
from queues.pipelined import PipelinedRedisBroker

__all__ = ["build_broker", "build_middleware"]

_REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})
_RABBITMQ_SCHEMES = frozenset({"amqp", "amqps"})


def build_middleware() -> list[Middleware]:
    """The delivery middleware chain, in order.

    - ``TimeLimit``: a batch running past its lease is interrupted, since another
      worker may claim its rows after that (the actors set ``time_limit``).
    - ``Retries``: a wake whose batch failed (the database down) is sent again after
      a backoff, from the settings the actors are declared with. A partner's failure
      is not the wake's: ``deliver_batch`` records it on the row, which is retried by
      its own due time.

    Left out on purpose: ``AgeLimit`` (the database, not the broker, decides when a
    row is too old), ``ShutdownNotifications`` (interrupting a partner call would
    leave the row to its lease), ``Callbacks``/``Pipelines`` (unused).
    """
    return [TimeLimit(), Retries()]


def build_broker(
    url: str | None, *, data_dir: Path
) -> tuple[dramatiq.Broker, EmbeddedRedis | None]:
    """A broker for ``url`` with the delivery middleware; the embedded Redis when ``url`` is None.

    Returns the broker and the ``EmbeddedRedis`` it uses (started, or reused if one
    runs for ``data_dir`` already), else ``None``. The caller stops it on shutdown.
    Declare the actors on it with ``declare_actors``.

    Raises:
      BrokerUrlUnsupported: an unknown scheme.
      EmbeddedRedisFailed: the embedded Redis did not start.
    """
    middleware = build_middleware()
    if url is None:
        embedded = EmbeddedRedis(data_dir).start()
        return _redis_broker(embedded.url, middleware), embedded
    scheme = urlsplit(url).scheme
    if scheme in _REDIS_SCHEMES:
        return _redis_broker(url, middleware), None
    if scheme == "stub":
        return StubBroker(middleware=middleware), None
    if scheme in _RABBITMQ_SCHEMES:
        return _rabbitmq_broker(url, middleware), None
    raise BrokerUrlUnsupported(
        f"broker URL scheme {scheme!r} is not supported; use redis://, rediss://, "
        "unix://, amqp://, amqps:// or stub://"
    )


def _redis_broker(url: str, middleware: list[Middleware]) -> PipelinedRedisBroker:
    return PipelinedRedisBroker(url=url, middleware=middleware)  # type: ignore[no-untyped-call]  # dramatiq leaves it unannotated


def _rabbitmq_broker(url: str, middleware: list[Middleware]) -> RabbitmqBroker:
    """dramatiq's RabbitMQ broker; it connects on first use, not here.

    ``confirm_delivery`` makes a send return only once RabbitMQ holds the message (as
    a Redis send does), and lets dramatiq re-declare a queue deleted under it.
    A worker holds a delayed wake unacknowledged until it is due, so the largest
    backoff must stay below RabbitMQ's ``consumer_timeout`` (30 min;
    ``hub.config.Settings`` refuses one that does not), and a partner's Retry-After
    is capped at that backoff as well (``RetryPolicy.backoff``).
    """
    # pika narrates every connection at INFO; the hub's own INFO is one line a delivery.
    logging.getLogger("pika").setLevel(logging.WARNING)
    return RabbitmqBroker(url=url, middleware=middleware, confirm_delivery=True)
