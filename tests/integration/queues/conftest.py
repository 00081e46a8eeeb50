"""Fixtures for the delivery queues: outbox rows on a real database, a clock, a partner.

The partner is an ``InMemoryTransport`` reached through the real
``PartnerTransports`` resolver, registered as adapter ``mem``.
"""

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import Adapter, InMemoryTransport
from queues import PartnerTransports
from tests.integration.queues.queue_helpers import Outbox


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
