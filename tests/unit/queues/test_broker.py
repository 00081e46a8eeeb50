"""build_broker and declare_actors: backends by URL scheme, the middleware chain, actor options."""

from pathlib import Path

import pytest
from dramatiq import Message
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name
from dramatiq.middleware import Retries, TimeLimit
from sqlalchemy.orm import sessionmaker

from queues import (
    BrokerUrlUnsupported,
    DeliveryContext,
    PartnerTransports,
    RetryPolicy,
    build_broker,
    declare_actors,
)


def _context() -> DeliveryContext:
    sessions = sessionmaker()
    return DeliveryContext(
        session_factory=sessions,
        transports=PartnerTransports(sessions, {}, 1.0),
        lease_s=45,
        retry=RetryPolicy(max_attempts=5, min_backoff_ms=250, max_backoff_ms=8_000),
        batch_size=20,
    )


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/3", "rediss://redis.example:6380/0", "unix:///run/redis.sock"]
)
def test_redis_urls_give_a_redis_broker_without_connecting(url: str, tmp_path: Path) -> None:
    broker, embedded = build_broker(url, data_dir=tmp_path)
    assert isinstance(broker, RedisBroker)
    assert embedded is None
    assert not (tmp_path / "redis").exists()


def test_stub_url_gives_the_in_memory_broker_with_our_middleware(tmp_path: Path) -> None:
    broker, embedded = build_broker("stub://", data_dir=tmp_path)

    assert isinstance(broker, StubBroker)
    assert embedded is None
    assert [type(m) for m in broker.middleware] == [TimeLimit, Retries]


@pytest.mark.parametrize(
    "url", ["amqp://guest:guest@127.0.0.1:5672/%2F", "amqps://hub:secret@mq.example:5671/hub"]
)
def test_amqp_urls_give_a_rabbitmq_broker_with_our_middleware_without_connecting(
    url: str, tmp_path: Path
) -> None:
    broker, embedded = build_broker(url, data_dir=tmp_path)

    assert isinstance(broker, RabbitmqBroker)
    assert embedded is None
    assert [type(m) for m in broker.middleware] == [TimeLimit, Retries]
    # A send returns once RabbitMQ holds the message, as a Redis send does.
    assert broker.confirm_delivery
    # The lanes are queues of their own: no per-queue priority (x-max-priority).
    assert broker.max_priority is None
    assert broker.connections == set()


def test_unknown_schemes_are_refused_naming_the_supported_ones(tmp_path: Path) -> None:
    with pytest.raises(BrokerUrlUnsupported, match=r"kafka.*use redis://.*amqp://"):
        build_broker("kafka://127.0.0.1:9092", data_dir=tmp_path)


def test_actors_carry_the_delivery_policy_as_dramatiq_options(tmp_path: Path) -> None:
    broker, _ = build_broker("stub://", data_dir=tmp_path)

    actors = declare_actors(broker, _context())

    urgent, routine = actors.by_lane["urgent"], actors.by_lane["routine"]
    assert (urgent.actor_name, urgent.queue_name) == ("deliver_urgent", "urgent")
    assert (routine.actor_name, routine.queue_name) == ("deliver_routine", "routine")
    assert urgent.priority < routine.priority
    assert urgent.options == routine.options
    # A wake is retried (its batch failed: the database down) as often as a row is.
    assert urgent.options["max_retries"] == 4
    assert (urgent.options["min_backoff"], urgent.options["max_backoff"]) == (250, 8_000)
    # A batch must not outlive its lease.
    assert urgent.options["time_limit"] == 45_000
    assert set(urgent.options) == {"max_retries", "min_backoff", "max_backoff", "time_limit"}


def test_wake_for_sends_one_wake_per_partner_and_lane(tmp_path: Path) -> None:
    broker, _ = build_broker("stub://", data_dir=tmp_path)
    assert isinstance(broker, StubBroker)
    actors = declare_actors(broker, _context())

    sent = actors.wake_for(
        [("social", "routine"), ("social", "urgent"), ("social", "routine"), ("kdn", "routine")]
    )

    assert sent == 3
    assert _queued(broker, "urgent") == [("deliver_urgent", ("social",))]
    assert _queued(broker, "routine") == [
        ("deliver_routine", ("social",)),
        ("deliver_routine", ("kdn",)),
    ]


def test_a_delayed_wake_waits_in_the_lanes_delay_queue(tmp_path: Path) -> None:
    broker, _ = build_broker("stub://", data_dir=tmp_path)
    assert isinstance(broker, StubBroker)
    actors = declare_actors(broker, _context())

    actors.wake("social", "routine", delay_ms=5_000)
    actors.wake("kdn", "routine")

    assert _queued(broker, dq_name("routine")) == [("deliver_routine", ("social",))]
    assert _queued(broker, "routine") == [("deliver_routine", ("kdn",))]


def _queued(broker: StubBroker, queue_name: str) -> list[tuple[str, tuple[object, ...]]]:
    """The messages waiting in ``queue_name``, as (actor, args), without taking them."""
    return [
        (message.actor_name, tuple(message.args))
        for message in map(Message.decode, list(broker.queues[queue_name].queue))
    ]


def test_a_broker_built_elsewhere_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="build_broker"):
        declare_actors(StubBroker(middleware=[]), _context())
