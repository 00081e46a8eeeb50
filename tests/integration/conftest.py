"""Fixtures shared by the integration tests: a hand-moved clock and outbox rows on it."""

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.queues.queue_helpers import Clock, Outbox


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outbox(session_factory: sessionmaker[Session], clock: Clock) -> Outbox:
    """Rows stamped with ``clock``, for partner ``social`` (registered to push)."""
    factory = Outbox(session_factory, clock)
    factory.partner("social")
    return factory
