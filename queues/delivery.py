"""One delivery attempt of one outbox row: claim it, call the partner, record the outcome.

The logic behind the delivery actors, as a plain function tests call without a
broker. The partner is called outside any database transaction: a slow partner
never holds a lock, and two short transactions frame the call (claim, record).
Failures are recorded, then raised again so that dramatiq's ``Retries`` decides
what happens next (retry with backoff, or give up); the dead-letter middleware
keeps the row in step with that decision.

Before the claim, the gate (``queues.circuit.admit``): a row whose partner is paused
or whose circuit is open is parked, not attempted — its attempt count is kept and
its message ends without spending a retry; the sweeper sends it once the gate opens.
Each outcome also updates the partner's circuit, in the transaction that records it.
"""

import enum
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import dramatiq
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import OutboundMessage, PartnerError, PartnerRejected, PartnerUnavailable
from hub.store import (
    claim_for_push,
    lock_circuit,
    park_delivery,
    push_addressing,
    record_dead,
    record_delivered,
    record_retry,
)
from queues.circuit import (
    DEFAULT_CIRCUIT_POLICY,
    CircuitPolicy,
    Gate,
    admit,
    close_on_success,
    record_answer,
    record_failure,
    start_probe,
)
from queues.errors import TransportMissing
from queues.transports import TransportResolver

__all__ = ["Outcome", "deliver_once"]

_log = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    """What ``deliver_once`` did when it returned (failures raise instead)."""

    DELIVERED = "delivered"
    #: Not claimable: delivered or dead already, cancelled, or held by another worker.
    SKIPPED = "skipped"
    #: Not attempted: the partner is paused or its circuit is open; the row is parked.
    DEFERRED = "deferred"


def deliver_once(
    session_factory: sessionmaker[Session],
    delivery_id: int,
    *,
    transports: TransportResolver,
    now: Callable[[], datetime],
    lease_s: float,
    will_retry: bool,
    max_backoff_ms: int,
    circuit: CircuitPolicy = DEFAULT_CIRCUIT_POLICY,
    max_attempts: int = 1,
) -> Outcome:
    """Make one attempt at push row ``delivery_id``; the attempt is logged whatever happens.

    ``lease_s`` (seconds) is how long the claim keeps other workers off the row.
    ``will_retry`` says whether the broker will try again after a failure; if not, a
    failure makes the row ``dead`` instead of ``retrying`` — once it has been claimed
    ``max_attempts`` times: the broker's count includes failures before any claim (the
    database down), and a row they cut short is left ``retrying`` for the sweeper.
    ``max_backoff_ms`` caps a partner's Retry-After, as it caps the broker's own backoff.
    ``circuit`` says when the partner's circuit opens; a paused partner or an open
    circuit gives ``DEFERRED``.

    Raises:
      PartnerRejected: the partner refused the message; the row is dead.
      TransportMissing: the recipient cannot be pushed to; the row is dead.
      dramatiq.Retry: the partner asked to be called again after ``retry_after_s``
        (at most ``max_backoff_ms``; the row is ``retrying``, due then); raised from
        the ``PartnerUnavailable``.
      PartnerUnavailable: the partner is down; the row is ``retrying``, or ``dead``
        when ``will_retry`` is false.
      Exception: anything else from the transport (a bug) counts as a retryable
        failure, logged by type name only.
    """
    with session_factory.begin() as session:
        started_at = now()
        found = push_addressing(session, delivery_id)
        if found is None:
            return Outcome.SKIPPED
        recipient, message_id, message_type, endpoint = found
        gate, breaker = admit(session, recipient, now=started_at)
        if gate in (Gate.PAUSED, Gate.OPEN):
            parked = park_delivery(session, delivery_id, now=started_at)
            return Outcome.DEFERRED if parked else Outcome.SKIPPED
        row = claim_for_push(session, delivery_id, now=started_at, lease_s=lease_s)
        if row is None:
            return Outcome.SKIPPED
        if gate is Gate.PROBE and breaker is not None:
            start_probe(breaker, now=started_at, lease_s=lease_s)
        attempt = row.attempts
        message = OutboundMessage(
            delivery_id=row.id,
            recipient=row.recipient,
            message_id=message_id,
            message_type=message_type,
            priority=row.priority,
            envelope=row.payload,
        )

    try:
        result = transports.transport_for(message.recipient, endpoint).deliver(message)
    except (PartnerRejected, TransportMissing) as exc:
        with session_factory.begin() as session:
            if isinstance(exc, PartnerRejected):
                record_answer(lock_circuit(session, message.recipient))
            record_dead(
                session,
                delivery_id,
                attempt=attempt,
                started_at=started_at,
                now=now(),
                error=_describe(exc),
                outcome="rejected" if isinstance(exc, PartnerRejected) else "dead",
            )
        _log_outcome(
            message,
            attempt=attempt,
            outcome="rejected" if isinstance(exc, PartnerRejected) else "dead",
            duration_s=(now() - started_at).total_seconds(),
            error=_describe(exc),
        )
        raise
    except Exception as exc:
        retry_after_ms = _retry_after_ms(exc, cap_ms=max_backoff_ms)
        final = not will_retry and attempt >= max_attempts
        with session_factory.begin() as session:
            finished_at = now()
            record_failure(
                lock_circuit(session, message.recipient),
                now=finished_at,
                error=_describe(exc),
                policy=circuit,
            )
            if final:
                record_dead(
                    session,
                    delivery_id,
                    attempt=attempt,
                    started_at=started_at,
                    now=finished_at,
                    error=_describe(exc),
                    outcome="dead",
                )
            else:
                # Due at once until the broker has chosen its backoff: the dead-letter
                # middleware then writes the moment Retries picked.
                record_retry(
                    session,
                    delivery_id,
                    attempt=attempt,
                    started_at=started_at,
                    now=finished_at,
                    error=_describe(exc),
                    next_attempt_at=finished_at + timedelta(milliseconds=retry_after_ms or 0),
                )
        _log_outcome(
            message,
            attempt=attempt,
            outcome="dead" if final else "retry",
            duration_s=(finished_at - started_at).total_seconds(),
            error=_describe(exc),
        )
        if will_retry and retry_after_ms is not None:
            raise dramatiq.Retry(_describe(exc), delay=retry_after_ms) from exc
        raise
    with session_factory.begin() as session:
        finished_at = now()
        close_on_success(session, message.recipient, now=finished_at)
        record_delivered(
            session,
            delivery_id,
            attempt=attempt,
            started_at=started_at,
            now=finished_at,
            remote_reference=result.remote_reference,
        )
    _log_outcome(
        message,
        attempt=attempt,
        outcome="delivered",
        duration_s=(now() - started_at).total_seconds(),
        error=None,
    )
    return Outcome.DELIVERED


def _retry_after_ms(exc: Exception, *, cap_ms: int) -> int | None:
    """The partner's Retry-After in milliseconds, at most ``cap_ms``; None if it gave none.

    Capped because a worker holds a delayed message until it is due: on RabbitMQ that
    is an unacknowledged delivery, which the broker's ``consumer_timeout`` ends, and a
    partner's "come back in a week" would park the row for a week either way.
    """
    if not isinstance(exc, PartnerUnavailable) or exc.retry_after_s is None:
        return None
    return min(int(exc.retry_after_s * 1000), cap_ms)


def _describe(exc: Exception) -> str:
    # Partner errors carry ids and status codes by contract; anything else may quote
    # data, so only its type is kept.
    if isinstance(exc, PartnerError | TransportMissing):
        return f"{type(exc).__name__}: {exc}"
    return type(exc).__name__


def _log_outcome(
    message: OutboundMessage, *, attempt: int, outcome: str, duration_s: float, error: str | None
) -> None:
    """One line per attempt; a dead letter (dead or rejected) is a warning an operator acts on."""
    dead = outcome in {"dead", "rejected"}
    _log.log(
        logging.WARNING if dead else logging.INFO,
        "delivery %s: %s",
        "dead letter" if dead else outcome,
        message.recipient,
        extra={
            "delivery_id": message.delivery_id,
            "message_id": message.message_id,
            "partner": message.recipient,
            "outcome": outcome,
            "attempt": attempt,
            "duration_ms": round(duration_s * 1000, 1),
            "error": error,
        },
    )
