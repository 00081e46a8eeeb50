"""The hub's database: typed models, engines and sessions, and the queries that read them."""

from hub.store.base import Base
from hub.store.engine import make_engine, make_session_factory
from hub.store.models import (
    ChainHead,
    DeliveryAttempt,
    DeliveryMode,
    DeliveryStatus,
    MessageLog,
    OutboxDelivery,
    Partner,
    Rejection,
)

__all__ = [
    # Models
    "Base",
    "ChainHead",
    "DeliveryAttempt",
    "DeliveryMode",
    "DeliveryStatus",
    "MessageLog",
    "OutboxDelivery",
    "Partner",
    "Rejection",
    # Engines and sessions
    "make_engine",
    "make_session_factory",
]
