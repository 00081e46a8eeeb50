"""Delivery state of the outbox: claims, outcomes, the pull inbox, the sweeper's view, dead letters.

Every function takes a ``Session`` and never commits: the caller frames a short
transaction around it. State changes are single ``UPDATE … WHERE <expected state>``
statements, so two workers (or a worker and a pulling partner) can never both hold
a row, and a worker claims and records a batch of one partner's rows in a few
statements for them all, on SQLite (writers serialised by ``BEGIN IMMEDIATE``) and PostgreSQL (row
locks, ``WHERE`` re-checked after the lock) alike.

A claim increments ``attempts``; that number is the claim's fencing token: an
outcome is applied to the row only while it is still ``in_flight`` under the same
number, so a worker whose lease ran out cannot overwrite a newer claim's result.

Errors::

    LookupError
    └── DeliveryNotFound    no such row for this recipient
    ValueError
    └── DeliveryNotDead     replay asked for a row that is not dead
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Result,
    and_,
    bindparam,
    case,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from hub.store.models.messages import (
    DeliveryAttempt,
    DeliveryMode,
    DeliveryStatus,
    MessageLog,
    OutboxDelivery,
    Partner,
)
from hub.store.partners_state import is_partner_paused, waiting_partner

__all__ = [
    "AttemptOutcome",
    "DeliveryNotDead",
    "DeliveryNotFound",
    "PushClaim",
    "PushOutcome",
    "StuckLane",
    "acknowledge",
    "claim_inbox",
    "claim_push_batch",
    "dead_letters",
    "find_stuck_push_lanes",
    "push_endpoint",
    "record_push_outcomes",
    "release_push_claims",
    "replay_dead",
]

#: What became of one attempt, as written to ``delivery_attempt.outcome``.
AttemptOutcome = Literal["delivered", "retry", "rejected", "dead"]

#: ``last_error`` is a ``String(1000)`` column.
_MAX_ERROR_CHARS = 1000


class DeliveryNotFound(LookupError):
    """No outbox row with this id (for this recipient, where one is given)."""

    def __init__(self, delivery_id: int) -> None:
        super().__init__(f"delivery {delivery_id} not found")
        self.delivery_id = delivery_id


class DeliveryNotDead(ValueError):
    """Only a dead delivery can be replayed."""

    def __init__(self, delivery_id: int, status: DeliveryStatus) -> None:
        super().__init__(f"delivery {delivery_id} is {status.value}, not dead")
        self.delivery_id = delivery_id
        self.status = status


def _urgent_first() -> ColumnElement[int]:
    return case((OutboxDelivery.priority == "urgent", 0), else_=1)


# --- push: a worker claims a partner's due rows, calls it, records the outcomes -----------


@dataclass(frozen=True)
class PushClaim:
    """What a worker needs of one push row it has just claimed."""

    id: int
    priority: str
    #: The hub-signed copy to deliver.
    payload: bytes
    #: The claim's attempt number, its fencing token for the outcome.
    attempts: int
    message_id: str
    message_type: str


@dataclass(frozen=True)
class PushOutcome:
    """What became of one claimed row's attempt, for ``record_push_outcomes``."""

    delivery_id: int
    #: The claim's attempt number (``PushClaim.attempts``).
    attempt: int
    outcome: AttemptOutcome
    started_at: datetime
    finished_at: datetime
    #: Ids and status codes only, never personal data; None when delivered.
    error: str | None = None
    remote_reference: str | None = None
    #: When a ``retry`` is due again.
    next_attempt_at: datetime | None = None


def _lane(urgent: bool) -> ColumnElement[bool]:
    # Anything but "urgent" is routine, so an unexpected value never jumps the queue.
    return OutboxDelivery.priority == "urgent" if urgent else OutboxDelivery.priority != "urgent"


def _due(now: datetime) -> ColumnElement[bool]:
    """Push rows a worker may claim at ``now``: waiting and due, or held by a lease that ran out."""
    return or_(
        and_(
            OutboxDelivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.RETRYING)),
            or_(OutboxDelivery.next_attempt_at.is_(None), OutboxDelivery.next_attempt_at <= now),
        ),
        and_(OutboxDelivery.status == DeliveryStatus.IN_FLIGHT, OutboxDelivery.lease_until < now),
    )


# The hot statements are built once, with bind parameters: building a statement costs
# the worker more than the database takes to run it.
_LOG_ATTEMPT = insert(DeliveryAttempt)
#: The row, if its claim under ``attempt`` still holds it; the SET clause comes from the
#: other parameters given (column name → value).
_IF_HELD = update(OutboxDelivery).where(
    OutboxDelivery.id == bindparam("delivery_id"),
    OutboxDelivery.status == DeliveryStatus.IN_FLIGHT,
    OutboxDelivery.attempts == bindparam("attempt"),
)
_CLAIMED_MESSAGES = (
    select(OutboxDelivery.id, MessageLog.message_id, MessageLog.message_type)
    .join(MessageLog, MessageLog.id == OutboxDelivery.message_log_id)
    .where(OutboxDelivery.id.in_(bindparam("ids", expanding=True)))
)
_RELEASE = _IF_HELD.values(
    status=case(
        (OutboxDelivery.attempts > 1, DeliveryStatus.RETRYING.value),
        else_=DeliveryStatus.PENDING.value,
    ),
    attempts=OutboxDelivery.attempts - 1,
    lease_until=None,
    next_attempt_at=bindparam("due"),
)


def claim_push_batch(
    session: Session,
    recipient: str,
    *,
    urgent: bool,
    now: datetime,
    lease_s: float,
    limit: int,
) -> list[PushClaim]:
    """Claim up to ``limit`` of ``recipient``'s due push rows of one lane, oldest first.

    The lane is the urgent rows when ``urgent``, else all the others. Due: ``pending``
    or ``retrying`` with ``next_attempt_at`` unset or reached, or ``in_flight`` whose
    lease ran out (its worker died). Each claimed row becomes ``in_flight`` with
    ``lease_until = now + lease_s`` (seconds) and ``attempts`` incremented, in one
    statement; on PostgreSQL rows another worker is claiming are skipped, not waited
    for, and on SQLite writers are serialised, so no row is claimed twice.
    """
    due_ids = (
        select(OutboxDelivery.id)
        .where(
            OutboxDelivery.recipient == recipient,
            OutboxDelivery.mode == DeliveryMode.PUSH,
            _lane(urgent),
            _due(now),
        )
        .order_by(OutboxDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = (
        session.connection()
        .execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.id.in_(due_ids.scalar_subquery()))
            .values(
                status=DeliveryStatus.IN_FLIGHT,
                lease_until=now + timedelta(seconds=lease_s),
                attempts=OutboxDelivery.attempts + 1,
            )
            .returning(
                OutboxDelivery.id,
                OutboxDelivery.priority,
                OutboxDelivery.payload,
                OutboxDelivery.attempts,
            )
        )
        .all()
    )
    if not claimed:
        return []
    messages = {
        row.id: (row.message_id, row.message_type)
        for row in session.connection().execute(
            _CLAIMED_MESSAGES, {"ids": [row.id for row in claimed]}
        )
    }
    return sorted(
        (PushClaim(*row, *messages[row.id]) for row in claimed), key=lambda claim: claim.id
    )


def push_endpoint(session: Session, recipient: str) -> str | None:
    """``recipient``'s endpoint now (None: no such partner, or none registered).

    Read for every batch, so a changed endpoint is used from the next batch on.
    """
    return session.execute(select(Partner.endpoint).where(Partner.code == recipient)).scalar()


def record_push_outcomes(session: Session, outcomes: Sequence[PushOutcome]) -> None:
    """Log each attempt and apply its outcome to its row, a few statements for them all.

    ``delivered`` marks the row delivered, ``retry`` makes it ``retrying`` (due at
    ``next_attempt_at``), ``rejected`` and ``dead`` make it ``dead`` (replayable). An
    outcome applies only while the row is still ``in_flight`` under the same attempt
    number: once the lease has run out and another claim took over, only the attempt
    log is written.
    """
    if not outcomes:
        return
    connection = session.connection()
    connection.execute(
        _LOG_ATTEMPT,
        [
            {
                "delivery_id": o.delivery_id,
                "number": o.attempt,
                "started_at": o.started_at,
                "finished_at": o.finished_at,
                "outcome": o.outcome,
                "error": o.error,
            }
            for o in outcomes
        ],
    )
    for changes in _row_changes(outcomes).values():
        connection.execute(_IF_HELD, changes)


def _row_changes(outcomes: Sequence[PushOutcome]) -> dict[str, list[dict[str, object]]]:
    """The ``_IF_HELD`` parameters per kind of outcome: one executemany each."""
    changes: dict[str, list[dict[str, object]]] = {}
    for o in outcomes:
        held = {"delivery_id": o.delivery_id, "attempt": o.attempt, "lease_until": None}
        if o.outcome == "delivered":
            values = {
                "status": DeliveryStatus.DELIVERED,
                "delivered_at": o.finished_at,
                "next_attempt_at": None,
                "remote_reference": o.remote_reference,
                "last_error": None,
            }
        else:
            values = {
                "status": DeliveryStatus.RETRYING if o.outcome == "retry" else DeliveryStatus.DEAD,
                "next_attempt_at": o.next_attempt_at if o.outcome == "retry" else None,
                "last_error": (o.error or "")[:_MAX_ERROR_CHARS],
            }
        kind = "delivered" if o.outcome == "delivered" else "failed"
        changes.setdefault(kind, []).append(held | values)
    return changes


def release_push_claims(session: Session, claims: Sequence[PushClaim], *, due: datetime) -> None:
    """Give back claimed rows that were never attempted, due again at ``due``.

    Each row gets back the state its claim took (``pending`` before any attempt,
    else ``retrying``) and the attempt count it had: no attempt is logged or spent.
    For a batch cut short (its partner failed, or its time ran out). A row whose
    claim no longer holds is left alone.
    """
    if claims:
        session.connection().execute(
            _RELEASE,
            [{"delivery_id": c.id, "attempt": c.attempts, "due": due} for c in claims],
        )


def _rowcount(result: Result[Any]) -> int:
    # ``Session.execute`` is typed as returning ``Result``; a DML statement gives a
    # ``CursorResult``, which carries the matched-row count.
    return cast("CursorResult[Any]", result).rowcount


# --- pull: the partner polls its inbox and acknowledges --------------------------------


def claim_inbox(
    session: Session, recipient: str, *, now: datetime, visibility_s: float, limit: int
) -> Sequence[OutboxDelivery]:
    """Offer up to ``limit`` of ``recipient``'s pull rows, urgent first, then oldest first.

    Offered: ``pending`` rows, and ``in_flight`` rows whose visibility ran out (pulled
    but never acknowledged). They become ``in_flight`` with ``lease_until = now +
    visibility_s`` (seconds), so a concurrent poll does not get them again until then.
    On PostgreSQL rows locked by a concurrent poll are skipped, not waited for.
    A paused partner is offered nothing: its rows wait, untouched.
    """
    if is_partner_paused(session, recipient):
        return []
    rows = (
        session.execute(
            select(OutboxDelivery)
            .where(
                OutboxDelivery.recipient == recipient,
                OutboxDelivery.mode == DeliveryMode.PULL,
                or_(
                    OutboxDelivery.status == DeliveryStatus.PENDING,
                    and_(
                        OutboxDelivery.status == DeliveryStatus.IN_FLIGHT,
                        OutboxDelivery.lease_until < now,
                    ),
                ),
            )
            .order_by(_urgent_first(), OutboxDelivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    for row in rows:
        row.status = DeliveryStatus.IN_FLIGHT
        row.lease_until = now + timedelta(seconds=visibility_s)
        row.attempts += 1
    session.flush()
    return rows


def acknowledge(
    session: Session, recipient: str, delivery_id: int, *, now: datetime
) -> OutboxDelivery:
    """Record that ``recipient`` has taken pull row ``delivery_id``; returns the row.

    Idempotent: acknowledging a delivered row again changes nothing. A late
    acknowledgement (after the visibility ran out) still counts: the partner has it.

    Raises:
      DeliveryNotFound: no pull row with this id addressed to ``recipient``; the
        message does not say whether the id exists for someone else.
    """
    row = session.execute(
        select(OutboxDelivery)
        .where(
            OutboxDelivery.id == delivery_id,
            OutboxDelivery.recipient == recipient,
            OutboxDelivery.mode == DeliveryMode.PULL,
        )
        .with_for_update()
    ).scalar_one_or_none()
    if row is None:
        raise DeliveryNotFound(delivery_id)
    if row.status is not DeliveryStatus.DELIVERED:
        row.status = DeliveryStatus.DELIVERED
        row.delivered_at = now
        row.lease_until = None
        session.flush()
    return row


# --- the sweeper's view ---------------------------------------------------------------


class StuckLane(NamedTuple):
    """A partner and lane with push rows no worker is working on."""

    recipient: str
    urgent: bool


def find_stuck_push_lanes(
    session: Session, *, now: datetime, stuck_after_s: float
) -> list[StuckLane]:
    """The partners and lanes whose due push rows nobody is delivering: each needs a wake.

    A lane is stuck when it has one of these rows:

    - ``pending`` with no due time, written more than ``stuck_after_s`` seconds ago:
      the wake sent on commit was lost (a Redis flush, a send that failed);
    - ``pending`` or ``retrying`` whose due time has come: replayed, released by a
      batch cut short, or due for a retry whose delayed wake was lost;
    - ``in_flight`` whose lease ran out: its worker died;

    and no row of it is ``in_flight`` under a live lease (a worker is on it; a full
    batch wakes the lane again itself). Lanes of a paused partner, or of one whose
    circuit blocks until later, are left out: their rows wait without being woken in
    a loop. Urgent lanes first.
    """
    horizon = now - timedelta(seconds=stuck_after_s)
    urgent = OutboxDelivery.priority == "urgent"
    stuck = or_(
        and_(
            OutboxDelivery.status == DeliveryStatus.PENDING,
            OutboxDelivery.next_attempt_at.is_(None),
            OutboxDelivery.created_at < horizon,
        ),
        and_(
            OutboxDelivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.RETRYING)),
            OutboxDelivery.next_attempt_at <= now,
        ),
        and_(OutboxDelivery.status == DeliveryStatus.IN_FLIGHT, OutboxDelivery.lease_until < now),
    )
    worked_on = and_(
        OutboxDelivery.status == DeliveryStatus.IN_FLIGHT, OutboxDelivery.lease_until >= now
    )

    def lanes(condition: ColumnElement[bool]) -> set[StuckLane]:
        rows = session.execute(
            select(OutboxDelivery.recipient, urgent)
            .where(OutboxDelivery.mode == DeliveryMode.PUSH, condition)
            .group_by(OutboxDelivery.recipient, urgent)
        )
        return {StuckLane(recipient, bool(is_urgent)) for recipient, is_urgent in rows}

    found = lanes(and_(stuck, ~waiting_partner(now))) - lanes(worked_on)
    return sorted(found, key=lambda lane: (not lane.urgent, lane.recipient))


# --- dead letters ----------------------------------------------------------------------


def dead_letters(
    session: Session, *, recipient: str | None = None, limit: int
) -> Sequence[OutboxDelivery]:
    """Dead rows (all, or ``recipient``'s), oldest first: the hub's dead-letter record."""
    query = select(OutboxDelivery).where(OutboxDelivery.status == DeliveryStatus.DEAD)
    if recipient is not None:
        query = query.where(OutboxDelivery.recipient == recipient)
    return session.execute(query.order_by(OutboxDelivery.id).limit(limit)).scalars().all()


def replay_dead(session: Session, delivery_id: int, *, now: datetime) -> OutboxDelivery:
    """Send a dead row again: it becomes ``pending``, due ``now``; attempt history is kept.

    Due at once, so the sweeper's next pass wakes its partner's lane
    (``find_stuck_push_lanes``) if the caller does not wake it after the commit.
    ``last_error`` keeps the previous failure readable until the next attempt.

    Raises:
      DeliveryNotFound: no row with this id.
      DeliveryNotDead: the row is not dead.
    """
    row = session.get(OutboxDelivery, delivery_id, with_for_update=True)
    if row is None:
        raise DeliveryNotFound(delivery_id)
    if row.status is not DeliveryStatus.DEAD:
        raise DeliveryNotDead(delivery_id, row.status)
    row.status = DeliveryStatus.PENDING
    row.lease_until = None
    row.next_attempt_at = now
    session.flush()
    return row
