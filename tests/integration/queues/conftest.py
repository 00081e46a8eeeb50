"""Fixtures for the delivery queues: outbox rows on a real database, a clock, a partner.

The partner is an ``InMemoryTransport`` reached through the real
``PartnerTransports`` resolver, registered as adapter ``mem``.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import Adapter, InMemoryTransport
from queues import PartnerTransports, build_broker
from tests.integration.queues.queue_helpers import (
    Outbox,
    RunningWorker,
    make_context,
    start_worker,
)


@pytest.fixture
def real_time_outbox(session_factory: sessionmaker[Session]) -> Outbox:
    """Rows stamped with the wall clock, for tests with a running broker and worker."""
    factory = Outbox(session_factory)
    factory.partner("social")
    return factory


@pytest.fixture
def partner() -> InMemoryTransport:
    return InMemoryTransport()


@pytest.fixture
def transports(
    session_factory: sessionmaker[Session], partner: InMemoryTransport
) -> Iterator[PartnerTransports]:
    resolver = PartnerTransports(
        session_factory,
        {"mem": Adapter(code="mem", delivery_mode="push", make_transport=lambda _e, _t: partner)},
        timeout_s=5.0,
    )
    yield resolver
    resolver.close()


@pytest.fixture
def stub_worker(
    session_factory: sessionmaker[Session], transports: PartnerTransports, data_dir: Path
) -> Iterator[RunningWorker]:
    """A running worker on dramatiq's ``StubBroker``: max_retries=3, 1 ms backoff."""
    context = make_context(session_factory, transports)
    broker, _ = build_broker("stub://", data_dir=data_dir)
    running = start_worker(broker, context)
    running.worker.start()
    yield running
    running.worker.stop()
    broker.close()
