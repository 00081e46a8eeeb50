"""Wiring: build the hub's parts from Settings, once per process.

The API process, the worker and the CLI all start here, so the embedded stack
and production (PostgreSQL + Redis) differ only in the URLs in Settings.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import dramatiq
import pika  # type: ignore[import-untyped]  # pika ships no type hints
import redis
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from adapters.registry import ADAPTERS
from hub.archive import ArchiveShelf
from hub.config import Settings
from hub.ingest import Ingestor, build_ingestor
from hub.partners import PartnerKeys
from hub.ratelimit import PartnerRateLimit
from hub.regions import RegionRules, load_regions
from hub.routing import ConfigInvalid, RoutingRules, load_rules
from hub.store import make_engine, make_session_factory
from queues import (
    DeliveryActors,
    DeliveryContext,
    EmbeddedRedis,
    PartnerTransports,
    build_broker,
    declare_actors,
)

_log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class HubRuntime:
    """The parts of a running hub process."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    #: Sessions that only read (on SQLite they do not queue for the write lock).
    read_sessions: sessionmaker[Session]
    ingestor: Ingestor
    #: The routing rules, for what each person's agency may see (the ingestor keeps its own).
    rules: RoutingRules
    #: The region rules: each case region's name and time zone for the pages.
    regions: RegionRules
    #: Messages a second per partner, counted in the broker's Redis or HUB_RATE_LIMIT_REDIS_URL.
    rate_limit: PartnerRateLimit
    #: Partners' API keys, each that passed remembered for ``credential_recheck_s``.
    partner_keys: PartnerKeys
    clock: Callable[[], datetime]
    #: Where archived bodies are read back (``HUB_ARCHIVE_DIR``, ``HUB_ARCHIVE_KEY``),
    #: its key read once at start.
    archive_shelf: ArchiveShelf = field(default_factory=lambda: ArchiveShelf(None))
    broker: dramatiq.Broker | None = None
    actors: DeliveryActors | None = None
    embedded_redis: EmbeddedRedis | None = None

    def broker_status(self) -> str:
        """ "ok", or why the broker cannot take messages now."""
        if self.broker is None:
            return "not configured"
        try:
            _ping_broker(self.broker)
        except Exception as exc:  # readiness reports any failure rather than raising
            return f"error: {type(exc).__name__}"
        return "ok"

    def close(self) -> None:
        if self.broker is not None:
            self.broker.close()
        if self.embedded_redis is not None:
            self.embedded_redis.stop()
        self.engine.dispose()


def build_runtime(
    settings: Settings, *, clock: Callable[[], datetime] = utc_now, with_broker: bool = True
) -> HubRuntime:
    """Build engine, ingest pipeline and (unless ``with_broker`` is False) the delivery queue.

    Raises:
        ConfigInvalid: the routing rules or a region file are wrong (file, line, reason),
            or ``HUB_ARCHIVE_KEY`` is not a readable RSA or EC private key.
        FileNotFoundError: the PKI is missing (run ``hub pki init``).
    """
    # Config first: a wrong file stops the hub before it starts anything to clean up.
    rules = load_rules(settings.routing_rules, partners=ADAPTERS.keys())
    # Region files name partners, so they are checked against the rules the hub runs.
    regions = load_regions(settings.regions_dir, rules)
    archive_shelf = _archive_shelf(settings)
    engine = make_engine(settings.effective_database_url)
    session_factory = make_session_factory(engine)
    read_sessions = make_session_factory(engine, read_only=True)
    broker, embedded, actors = None, None, None
    if with_broker:
        broker, embedded = build_broker(settings.broker_url, data_dir=settings.data_dir)
        transports = PartnerTransports(session_factory, ADAPTERS, settings.delivery_timeout_s)
        context = DeliveryContext.from_settings(settings, session_factory, transports, clock=clock)
        actors = declare_actors(broker, context)
    ingestor = build_ingestor(
        settings,
        session_factory,
        clock=clock,
        on_committed=actors.wake_for if actors is not None else _not_queued,
        rules=rules,
        regions=regions,
    )
    return HubRuntime(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        read_sessions=read_sessions,
        ingestor=ingestor,
        rules=rules,
        regions=regions,
        rate_limit=PartnerRateLimit(
            _rate_limit_redis(settings, broker), settings.partner_rate_per_s
        ),
        partner_keys=PartnerKeys(read_sessions, ttl_s=settings.credential_recheck_s),
        clock=clock,
        archive_shelf=archive_shelf,
        broker=broker,
        actors=actors,
        embedded_redis=embedded,
    )


def _archive_shelf(settings: Settings) -> ArchiveShelf:
    """The archive shelf, or the key file's problem as a config error (not a 500 later)."""
    try:
        return ArchiveShelf.from_settings(settings)
    except (OSError, ValueError) as exc:
        assert settings.archive_key is not None  # only reading the key can fail
        raise ConfigInvalid(settings.archive_key, 1, f"HUB_ARCHIVE_KEY: {exc}") from None


def _ping_broker(broker: dramatiq.Broker) -> None:
    """Raise unless the broker answers: PING for Redis, a fresh connection for RabbitMQ."""
    if isinstance(broker, RabbitmqBroker):
        # Not the broker's per-thread connection: readiness runs on the API's threads.
        pika.BlockingConnection(broker.parameters).close()
        return
    client = getattr(broker, "client", None)
    if client is not None:
        client.ping()


def _rate_limit_redis(settings: Settings, broker: dramatiq.Broker | None) -> redis.Redis | None:
    """The Redis the per-partner counters live in: the one named for them, or the broker's."""
    if settings.rate_limit_redis_url is not None:
        return redis.Redis.from_url(settings.rate_limit_redis_url)
    client = getattr(broker, "client", None)
    if isinstance(client, redis.Redis):
        return client
    if isinstance(broker, RabbitmqBroker) and settings.partner_rate_per_s > 0:
        _log.warning(
            "the per-partner rate limit is off: the broker is RabbitMQ; "
            "set HUB_RATE_LIMIT_REDIS_URL to count in a Redis"
        )
    return None


def _not_queued(_rows: object) -> None:
    """Without a broker (offline tools) nothing is woken; a worker's sweeper wakes it later."""
