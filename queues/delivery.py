"""One batch of one partner's lane: claim its due rows, call the partner for each, record it all.

The logic behind the delivery actors, as a plain function tests call without a
broker. Two short transactions frame the partner calls (claim, record), so a slow
partner never holds a lock, and each writes a whole batch in a few statements.

Before the claim, the gate (``queues.circuit.admit``): a partner that is paused or
whose circuit is open gets nothing claimed — its rows wait, their attempt counts
kept, and the sweeper wakes the lane once the gate opens; a circuit due for its
probe lets one row through. The outcomes update the partner's circuit in the
transaction that records them.

A failed call (the partner down, a timeout, a bug) ends the batch: that row is
retried after its backoff, or dead once its attempts are spent, and the rows not
yet tried are given back unattempted, due at once, for the next wake. So the
circuit sees each failure before the next call — a partner that is down is called
``failure_threshold`` times, not once per row — and one message the partner
cannot take (a 500 on that message alone) holds up only itself. A partner that
answered with a Retry-After asked for a pause: the untried rows wait as long. A batch also stops
when half its lease is gone, so no claim outlives its lease. A crash mid-batch leaves
its rows ``in_flight`` until the lease runs out; then any worker claims them again
(receivers de-duplicate by MessageId).
"""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from dramatiq.common import compute_backoff
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import (
    OutboundMessage,
    PartnerError,
    PartnerRejected,
    PartnerUnavailable,
    Transport,
)
from hub.store import (
    AttemptOutcome,
    PushClaim,
    PushOutcome,
    claim_push_batch,
    lock_circuit,
    push_endpoint,
    record_push_outcomes,
    release_push_claims,
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
from queues.lanes import URGENT
from queues.transports import TransportResolver

__all__ = ["BatchReport", "RetryPolicy", "deliver_batch"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often a row is attempted, and how long it waits between attempts."""

    #: Attempts in all (the first and its retries) before the row goes dead.
    max_attempts: int
    #: Exponential backoff bounds between attempts, in milliseconds, with jitter.
    min_backoff_ms: int
    max_backoff_ms: int

    def backoff(self, attempt: int, *, retry_after_s: float | None = None) -> timedelta:
        """The wait after failed attempt number ``attempt`` (1 for the first).

        The partner's Retry-After, where it gave one, instead of the exponential
        backoff; either way at most ``max_backoff_ms``, so a partner's "come back in a
        week" does not park the row for a week.
        """
        if retry_after_s is not None:
            return timedelta(milliseconds=min(retry_after_s * 1000, self.max_backoff_ms))
        _, backoff_ms = compute_backoff(
            attempt - 1, factor=self.min_backoff_ms, max_backoff=self.max_backoff_ms
        )
        return timedelta(milliseconds=backoff_ms)


@dataclass(frozen=True)
class BatchReport:
    """What one ``deliver_batch`` did."""

    gate: Gate
    #: How many rows the batch could have claimed, and how many it did.
    limit: int
    claimed: int
    outcomes: tuple[PushOutcome, ...] = ()
    #: The rows given back unattempted, due at once (the batch stopped early).
    released: int = 0
    #: A call failed, which ended the batch.
    failed: bool = False
    #: The partner asked for a pause (Retry-After): nothing more goes before ``next_due``.
    held_off: bool = False
    #: When the earliest retry the batch scheduled is due.
    next_due: datetime | None = None

    @property
    def more_due(self) -> bool:
        """Whether the lane may hold due rows now: the batch was full, or stopped early
        and the partner did not ask for a pause."""
        return not self.held_off and (self.claimed == self.limit or self.released > 0)

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)


def deliver_batch(
    session_factory: sessionmaker[Session],
    recipient: str,
    lane: str,
    *,
    transports: TransportResolver,
    now: Callable[[], datetime],
    lease_s: float,
    batch_size: int,
    retry: RetryPolicy,
    circuit: CircuitPolicy = DEFAULT_CIRCUIT_POLICY,
) -> BatchReport:
    """Deliver up to ``batch_size`` of ``recipient``'s due rows of ``lane``, logging each attempt.

    ``lease_s`` (seconds) is how long the claim keeps other workers off the rows.
    Never raises for a partner's failure: each outcome is recorded on its row (see
    the module docstring); only a database failure propagates, leaving the claimed
    rows to their lease.
    """
    with session_factory.begin() as session:
        started_at = now()
        gate, breaker = admit(session, recipient, now=started_at)
        if gate in (Gate.PAUSED, Gate.OPEN):
            return BatchReport(gate=gate, limit=batch_size, claimed=0)
        limit = 1 if gate is Gate.PROBE else batch_size
        claims = claim_push_batch(
            session, recipient, urgent=lane == URGENT, now=started_at, lease_s=lease_s, limit=limit
        )
        if gate is Gate.PROBE and breaker is not None and claims:
            start_probe(breaker, now=started_at, lease_s=lease_s)
        endpoint = push_endpoint(session, recipient) if claims else None
    if not claims:
        return BatchReport(gate=gate, limit=limit, claimed=0)

    run = _Run(recipient, retry, now)
    try:
        transport = transports.transport_for(recipient, endpoint)
    except TransportMissing as exc:
        run.dead_all(claims, exc)
    else:
        run.call_each(transport, claims, deadline=time.monotonic() + lease_s / 2)

    with session_factory.begin() as session:
        finished_at = now()
        # The circuit before the rows, the order every writer locks them in.
        _update_circuit(session, recipient, run, now=finished_at, policy=circuit)
        record_push_outcomes(session, run.outcomes)
        release_push_claims(session, run.unattempted, due=run.held_until or finished_at)
    for outcome in run.outcomes:
        _log_outcome(recipient, outcome, claims)
    return BatchReport(
        gate=gate,
        limit=limit,
        claimed=len(claims),
        outcomes=tuple(run.outcomes),
        released=len(run.unattempted),
        failed=run.failure is not None,
        held_off=run.held_until is not None,
        next_due=run.next_due(),
    )


class _Run:
    """The outcomes of one batch's partner calls, gathered for the recording transaction."""

    def __init__(self, recipient: str, retry: RetryPolicy, now: Callable[[], datetime]) -> None:
        self.recipient = recipient
        self.retry = retry
        self.now = now
        self.outcomes: list[PushOutcome] = []
        self.unattempted: list[PushClaim] = []
        #: Until when the partner asked not to be called (its Retry-After).
        self.held_until: datetime | None = None
        self.answered = False  # the partner answered at least once (delivered or refused)
        self.failure: str | None = None

    def call_each(
        self, transport: Transport, claims: Sequence[PushClaim], *, deadline: float
    ) -> None:
        for index, claim in enumerate(claims):
            if index and time.monotonic() > deadline:
                self.unattempted = list(claims[index:])
                return
            started_at = self.now()
            try:
                result = transport.deliver(_message(self.recipient, claim))
            except PartnerRejected as exc:
                self.answered = True
                self._final(claim, started_at, exc, "rejected")
            except Exception as exc:
                self._failed(claim, started_at, exc)
                self.unattempted = list(claims[index + 1 :])
                return
            else:
                self.answered = True
                self._add(claim, "delivered", started_at, remote_reference=result.remote_reference)

    def dead_all(self, claims: Sequence[PushClaim], exc: TransportMissing) -> None:
        """The recipient cannot be pushed to: no retry can fix that for any of its rows."""
        started_at = self.now()
        for claim in claims:
            self._final(claim, started_at, exc, "dead")

    def next_due(self) -> datetime | None:
        return min(
            (o.next_attempt_at for o in self.outcomes if o.next_attempt_at is not None),
            default=None,
        )

    def _final(
        self,
        claim: PushClaim,
        started_at: datetime,
        exc: Exception,
        outcome: Literal["rejected", "dead"],
    ) -> None:
        self._add(claim, outcome, started_at, error=_describe(exc))

    def _failed(self, claim: PushClaim, started_at: datetime, exc: Exception) -> None:
        self.failure = _describe(exc)
        if claim.attempts >= self.retry.max_attempts:
            self._final(claim, started_at, exc, "dead")
            return
        finished_at = self.now()
        retry_after_s = exc.retry_after_s if isinstance(exc, PartnerUnavailable) else None
        due = finished_at + self.retry.backoff(claim.attempts, retry_after_s=retry_after_s)
        if retry_after_s is not None:
            self.held_until = due
        self._add(claim, "retry", started_at, finished_at, error=self.failure, next_attempt_at=due)

    def _add(
        self,
        claim: PushClaim,
        outcome: AttemptOutcome,
        started_at: datetime,
        finished_at: datetime | None = None,
        *,
        error: str | None = None,
        remote_reference: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> None:
        self.outcomes.append(
            PushOutcome(
                delivery_id=claim.id,
                attempt=claim.attempts,
                outcome=outcome,
                started_at=started_at,
                finished_at=finished_at or self.now(),
                error=error,
                remote_reference=remote_reference,
                next_attempt_at=next_attempt_at,
            )
        )


def _update_circuit(
    session: Session, recipient: str, run: _Run, *, now: datetime, policy: CircuitPolicy
) -> None:
    """An answer closes the circuit; a failure, which always ends the batch, then counts
    toward opening it again."""
    if any(o.outcome == "delivered" for o in run.outcomes):
        close_on_success(session, recipient, now=now)
    elif run.answered:
        record_answer(lock_circuit(session, recipient))
    if run.failure is not None:
        record_failure(lock_circuit(session, recipient), now=now, error=run.failure, policy=policy)


def _message(recipient: str, claim: PushClaim) -> OutboundMessage:
    return OutboundMessage(
        delivery_id=claim.id,
        recipient=recipient,
        message_id=claim.message_id,
        message_type=claim.message_type,
        priority=claim.priority,
        envelope=claim.payload,
    )


def _describe(exc: Exception) -> str:
    # Partner errors carry ids and status codes by contract; anything else may quote
    # data, so only its type is kept.
    if isinstance(exc, PartnerError | TransportMissing):
        return f"{type(exc).__name__}: {exc}"
    return type(exc).__name__


def _log_outcome(recipient: str, outcome: PushOutcome, claims: Sequence[PushClaim]) -> None:
    """One line per attempt; a dead letter (dead or rejected) is a warning an operator acts on."""
    dead = outcome.outcome in {"dead", "rejected"}
    message_id = next(c.message_id for c in claims if c.id == outcome.delivery_id)
    _log.log(
        logging.WARNING if dead else logging.INFO,
        "delivery %s: %s",
        "dead letter" if dead else outcome.outcome,
        recipient,
        extra={
            "delivery_id": outcome.delivery_id,
            "message_id": message_id,
            "partner": recipient,
            "outcome": outcome.outcome,
            "attempt": outcome.attempt,
            "duration_ms": round(
                (outcome.finished_at - outcome.started_at).total_seconds() * 1000, 1
            ),
            "error": outcome.error,
        },
    )
