"""What a delivery needs besides the partner: database, transports, lease, batch, retry and circuit.

One frozen ``DeliveryContext`` is built per process and handed to ``declare_actors``,
which turns it into the actors' options (the time limit, the retries of a wake whose
batch failed) and into what the actors call.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from queues.circuit import DEFAULT_CIRCUIT_POLICY, CircuitPolicy
from queues.delivery import RetryPolicy
from queues.settings import QueueSettings
from queues.transports import TransportResolver

__all__ = ["DeliveryContext", "utc_now"]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class DeliveryContext:
    """Everything a delivery actor and the broker's middleware share."""

    session_factory: sessionmaker[Session]
    transports: TransportResolver
    #: How long a claim holds an outbox row, in seconds; also the actor's time limit.
    lease_s: float
    #: How often a row is attempted, and the backoff between attempts.
    retry: RetryPolicy
    #: Most rows one wake claims and delivers.
    batch_size: int
    clock: Callable[[], datetime] = utc_now
    #: When a partner's circuit opens, and for how long.
    circuit: CircuitPolicy = DEFAULT_CIRCUIT_POLICY

    @classmethod
    def from_settings(
        cls,
        settings: QueueSettings,
        session_factory: sessionmaker[Session],
        transports: TransportResolver,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> "DeliveryContext":
        """The context described by ``settings``."""
        return cls(
            session_factory=session_factory,
            transports=transports,
            lease_s=settings.delivery_lease_s,
            retry=RetryPolicy(
                max_attempts=settings.delivery_max_retries + 1,
                min_backoff_ms=settings.delivery_min_backoff_ms,
                max_backoff_ms=settings.delivery_max_backoff_ms,
            ),
            batch_size=settings.delivery_batch_size,
            clock=clock,
            circuit=CircuitPolicy(
                failure_threshold=settings.circuit_failure_threshold,
                cooldown_s=settings.circuit_cooldown_s,
                max_cooldown_s=settings.circuit_max_cooldown_s,
            ),
        )
