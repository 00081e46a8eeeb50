"""The hub's database: typed models, engines and sessions, and the queries that read them."""

from hub.store.base import Base
from hub.store.deliveries import (
    DeliveryNotDead,
    DeliveryNotFound,
    acknowledge,
    claim_for_push,
    claim_inbox,
    dead_letters,
    find_stuck_push_deliveries,
    mark_dead,
    mark_enqueued,
    record_dead,
    record_delivered,
    record_retry,
    replay_dead,
    schedule_retry,
)
from hub.store.engine import make_engine, make_session_factory
from hub.store.models import (
    CaseFile,
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
    "CaseFile",
    "ChainHead",
    "DeliveryAttempt",
    "DeliveryMode",
    "DeliveryStatus",
    "MessageLog",
    "OutboxDelivery",
    "Partner",
    "Rejection",
    # Delivery state (the caller owns the transaction)
    "DeliveryNotDead",
    "DeliveryNotFound",
    "acknowledge",
    "claim_for_push",
    "claim_inbox",
    "dead_letters",
    "find_stuck_push_deliveries",
    "mark_dead",
    "mark_enqueued",
    "record_dead",
    "record_delivered",
    "record_retry",
    "replay_dead",
    "schedule_retry",
    # Engines and sessions
    "make_engine",
    "make_session_factory",
]
