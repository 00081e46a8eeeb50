"""Helpers for the queue tests: a hand-moved clock, an outbox row factory, a worker harness.

``Outbox`` inserts partners, message-log rows and outbox rows directly (ingest is
not under test here).
"""

import itertools
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import dramatiq
from dramatiq.brokers.stub import StubBroker
from sqlalchemy.orm import Session, sessionmaker

from hub.store import DeliveryMode, DeliveryStatus, MessageLog, OutboxDelivery, Partner
from queues import (
    DeliveryActors,
    DeliveryContext,
    PartnerTransports,
    RetryPolicy,
    declare_actors,
    utc_now,
)

_T = TypeVar("_T")

#: Backoff small enough that retries happen within a test, in milliseconds.
TINY_BACKOFF_MS = 1


@dataclass
class Clock:
    """A clock the test moves by hand; starts at a fixed UTC instant."""

    now: datetime = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@dataclass
class Outbox:
    """Inserts the rows deliveries hang on; every method commits its own transaction."""

    session_factory: sessionmaker[Session]
    clock: Clock | None = None
    _serial: Iterator[int] = field(default_factory=itertools.count)

    def _now(self) -> datetime:
        return self.clock() if self.clock is not None else datetime.now(UTC)

    def partner(
        self,
        code: str = "social",
        *,
        mode: DeliveryMode = DeliveryMode.PUSH,
        adapter: str = "mem",
        endpoint: str | None = "mem://partner",
    ) -> None:
        with self.session_factory.begin() as session:
            session.add(
                Partner(
                    code=code,
                    organisation=f"Organisation {code}",
                    adapter=adapter,
                    delivery_mode=mode,
                    endpoint=endpoint,
                    created_at=self._now(),
                )
            )

    def deliveries(
        self,
        count: int,
        *,
        recipient: str = "social",
        priority: str = "routine",
        mode: DeliveryMode = DeliveryMode.PUSH,
        status: DeliveryStatus = DeliveryStatus.PENDING,
        **overrides: object,
    ) -> list[int]:
        """Insert ``count`` messages with one outbox row each; returns the row ids in order."""
        now = self._now()
        with self.session_factory.begin() as session:
            rows = []
            for _ in range(count):
                message = MessageLog(
                    message_id=str(uuid.uuid4()),
                    sender="police",
                    message_type="FamilyReferral",
                    schema_version="1.0",
                    priority=priority,
                    created_at=now,
                    received_at=now,
                    raw=b"<x/>",
                    sha256="0" * 64,
                    prev_hash="0" * 64,
                    chain_hash="0" * 64,
                    signer_fingerprint="0" * 64,
                )
                row = OutboxDelivery(
                    message=message,
                    recipient=recipient,
                    mode=mode,
                    priority=priority,
                    status=status,
                    payload=f"<signed n='{next(self._serial)}'/>".encode(),
                    created_at=now,
                )
                for name, value in overrides.items():
                    setattr(row, name, value)
                session.add(row)
                rows.append(row)
            session.flush()
            return [row.id for row in rows]

    def delivery(self, **kwargs: Any) -> int:
        return self.deliveries(1, **kwargs)[0]

    def get(self, delivery_id: int) -> OutboxDelivery:
        with self.session_factory() as session:
            row = session.get(OutboxDelivery, delivery_id)
            assert row is not None
            # Load the attempts and the message before the session closes.
            row.attempt_log  # noqa: B018
            row.message  # noqa: B018
            return row


def make_context(
    session_factory: sessionmaker[Session],
    transports: PartnerTransports,
    *,
    max_retries: int = 3,
    min_backoff_ms: int = TINY_BACKOFF_MS,
    lease_s: float = 30.0,
    batch_size: int = 20,
    clock: Callable[[], datetime] = utc_now,
) -> DeliveryContext:
    """A context as ``hub worker`` builds one: ``max_retries + 1`` attempts a row, backoff
    between ``min_backoff_ms`` and four times that (at least 10 ms), ``batch_size`` rows a wake."""
    return DeliveryContext(
        session_factory=session_factory,
        transports=transports,
        lease_s=lease_s,
        retry=RetryPolicy(
            max_attempts=max_retries + 1,
            min_backoff_ms=min_backoff_ms,
            max_backoff_ms=max(min_backoff_ms * 4, 10),
        ),
        batch_size=batch_size,
        clock=clock,
    )


@dataclass
class RunningWorker:
    """A broker with the delivery actors and an in-process dramatiq worker (not started)."""

    broker: dramatiq.Broker
    actors: DeliveryActors
    worker: dramatiq.Worker

    def drain(self, timeout_ms: int = 10_000) -> None:
        """Wait until the stub broker's lanes are empty and the worker is idle."""
        assert isinstance(self.broker, StubBroker)
        for lane in self.actors.by_lane:
            self.broker.join(lane, timeout=timeout_ms, fail_fast=False)
        self.worker.join()


def start_worker(
    broker: dramatiq.Broker, context: DeliveryContext, *, threads: int = 2
) -> RunningWorker:
    actors = declare_actors(broker, context)
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=50)
    return RunningWorker(broker, actors, worker)


def wait_until(check: Callable[[], _T | None], *, timeout_s: float = 30.0, what: str = "it") -> _T:
    """Poll ``check`` until it returns something truthy, and return that; fail at the deadline.

    The deadline only bounds a failure: generous, since a loaded machine may keep the
    worker's threads waiting for a core for seconds."""
    deadline = time.monotonic() + timeout_s
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out after {timeout_s} s waiting for {what}"
        time.sleep(0.02)  # polling interval, bounded by the deadline above
    return result
