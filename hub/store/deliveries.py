"""Delivery state of the outbox: claims, outcomes, the pull inbox, the sweeper's view, dead letters.

Every function takes a ``Session`` and never commits: the caller frames a short
transaction around it. State changes are single ``UPDATE … WHERE <expected state>``
statements, so two workers (or a worker and a pulling partner) can never both hold
a row, on SQLite (writers serialised by ``BEGIN IMMEDIATE``) and PostgreSQL (row
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

from collections.abc import Collection, Iterable, Sequence
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
    func,
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
    "MAX_RESEND_DOUBLINGS",
    "AttemptOutcome",
    "DeliveryNotDead",
    "DeliveryNotFound",
    "PushAddress",
    "PushClaim",
    "acknowledge",
    "claim_for_push",
    "claim_inbox",
    "count_push_rows_in_broker",
    "dead_letters",
    "find_stuck_held_push_deliveries",
    "find_stuck_push_deliveries",
    "find_stuck_unvouched_push_deliveries",
    "mark_dead",
    "mark_enqueued",
    "park_delivery",
    "push_addressing",
    "record_dead",
    "record_delivered",
    "record_retry",
    "replay_dead",
    "schedule_retry",
]

#: What became of one attempt, as written to ``delivery_attempt.outcome``.
AttemptOutcome = Literal["delivered", "retry", "rejected", "dead"]

#: ``last_error`` is a ``String(1000)`` column.
_MAX_ERROR_CHARS = 1000

_FINAL_STATUSES = (DeliveryStatus.DELIVERED, DeliveryStatus.DEAD, DeliveryStatus.CANCELLED)
#: The others, named rather than "not final" so that a query on them uses the status
#: index instead of reading every delivered row of the log.
_OPEN_STATUSES = tuple(status for status in DeliveryStatus if status not in _FINAL_STATUSES)


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


#: The sweeper's wait before re-sending a row doubles at most this many times.
MAX_RESEND_DOUBLINGS = 4


# --- push: a worker claims a row, calls the partner, records the outcome ---------------


@dataclass(frozen=True)
class PushClaim:
    """What a worker needs of the push row it has just claimed."""

    id: int
    recipient: str
    priority: str
    #: The hub-signed copy to deliver.
    payload: bytes
    #: The claim's attempt number, its fencing token for the outcome.
    attempts: int


# The delivery path's statements are built once, with bind parameters: each copy runs
# them, and building a statement costs the worker more than SQLite takes to run it.
_CLAIM = (
    update(OutboxDelivery)
    .where(
        OutboxDelivery.id == bindparam("delivery_id"),
        OutboxDelivery.mode == DeliveryMode.PUSH,
        or_(
            OutboxDelivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.RETRYING)),
            and_(
                OutboxDelivery.status == DeliveryStatus.IN_FLIGHT,
                OutboxDelivery.lease_until < bindparam("now"),
            ),
        ),
    )
    .values(
        status=DeliveryStatus.IN_FLIGHT,
        lease_until=bindparam("new_lease_until"),
        attempts=OutboxDelivery.attempts + 1,
        resends=0,
    )
    .returning(
        OutboxDelivery.id,
        OutboxDelivery.recipient,
        OutboxDelivery.priority,
        OutboxDelivery.payload,
        OutboxDelivery.attempts,
    )
)
_ADDRESSING = (
    select(
        OutboxDelivery.recipient,
        MessageLog.message_id,
        MessageLog.message_type,
        Partner.endpoint,
    )
    .join(MessageLog, MessageLog.id == OutboxDelivery.message_log_id)
    .outerjoin(Partner, Partner.code == OutboxDelivery.recipient)
    .where(OutboxDelivery.id == bindparam("delivery_id"))
)
_LOG_ATTEMPT = insert(DeliveryAttempt)
#: The row, if its claim under ``attempt`` still holds it; the SET clause comes from the
#: other parameters given (column name → value).
_IF_HELD = update(OutboxDelivery).where(
    OutboxDelivery.id == bindparam("delivery_id"),
    OutboxDelivery.status == DeliveryStatus.IN_FLIGHT,
    OutboxDelivery.attempts == bindparam("attempt"),
)


class PushAddress(NamedTuple):
    """Where one push row goes and what it carries, as its attempt's transaction read it."""

    recipient: str
    message_id: str
    message_type: str
    #: The recipient's endpoint now (None: no such partner, or none registered), read with
    #: every attempt so that a changed endpoint is used from the next attempt on.
    endpoint: str | None


def push_addressing(session: Session, delivery_id: int) -> PushAddress | None:
    """Row ``delivery_id``'s recipient, endpoint, and its message's MessageId and type;
    ``None`` if no row.

    Not the payload (the claim loads it) nor the message's original bytes, which are
    not what is delivered.
    """
    row = session.connection().execute(_ADDRESSING, {"delivery_id": delivery_id}).one_or_none()
    return None if row is None else PushAddress(*row)


def claim_for_push(
    session: Session, delivery_id: int, *, now: datetime, lease_s: float
) -> PushClaim | None:
    """Claim push row ``delivery_id`` for one attempt; ``None`` if it is not claimable now.

    Claimable: ``pending`` or ``retrying``, or ``in_flight`` whose lease has run out
    (its worker died). The claim sets ``in_flight``, ``lease_until = now + lease_s``
    (seconds) and increments ``attempts``; at most one concurrent caller gets the row.
    Delivered, dead, cancelled, pull and unknown rows give ``None``.
    """
    claimed = (
        session.connection()
        .execute(
            _CLAIM,
            {
                "delivery_id": delivery_id,
                "now": now,
                "new_lease_until": now + timedelta(seconds=lease_s),
            },
        )
        .one_or_none()
    )
    return None if claimed is None else PushClaim(*claimed)


def park_delivery(session: Session, delivery_id: int, *, now: datetime) -> bool:
    """Leave push row ``delivery_id`` waiting, unattempted, for the sweeper to send later.

    For a row whose partner is paused or whose circuit is open: the row becomes
    ``pending``, due ``now``, with ``enqueued_at`` cleared (no broker message holds it
    any more); ``attempts`` is untouched. ``find_stuck_push_deliveries`` sends it
    again once the partner is neither paused nor blocked by its circuit. Returns
    whether the row was claimable (``pending``, ``retrying``, or ``in_flight`` with an
    expired lease) and so was parked.
    """
    result = session.execute(
        update(OutboxDelivery)
        .where(
            OutboxDelivery.id == delivery_id,
            OutboxDelivery.mode == DeliveryMode.PUSH,
            or_(
                OutboxDelivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.RETRYING)),
                and_(
                    OutboxDelivery.status == DeliveryStatus.IN_FLIGHT,
                    OutboxDelivery.lease_until < now,
                ),
            ),
        )
        .values(
            status=DeliveryStatus.PENDING,
            enqueued_at=None,
            lease_until=None,
            next_attempt_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def record_delivered(
    session: Session,
    delivery_id: int,
    *,
    attempt: int,
    started_at: datetime,
    now: datetime,
    remote_reference: str | None,
) -> bool:
    """Log attempt number ``attempt`` as delivered and mark the row delivered.

    Returns whether the row was still held by that attempt's claim; if not (the lease
    ran out and another claim took over) only the attempt log is written.
    """
    _log_attempt(session, delivery_id, attempt, started_at, now, "delivered", None)
    return _apply_if_held(
        session,
        delivery_id,
        attempt,
        status=DeliveryStatus.DELIVERED,
        delivered_at=now,
        lease_until=None,
        next_attempt_at=None,
        remote_reference=remote_reference,
        last_error=None,
    )


def record_retry(
    session: Session,
    delivery_id: int,
    *,
    attempt: int,
    started_at: datetime,
    now: datetime,
    next_attempt_at: datetime,
    error: str,
) -> bool:
    """Log attempt ``attempt`` as failed-but-retryable; the row becomes ``retrying``.

    ``next_attempt_at`` is when the broker will try again, as far as the caller
    knows; ``schedule_retry`` corrects it once the broker has chosen. ``error`` must
    hold ids and codes only, never personal data. Returns whether the claim still held.
    """
    _log_attempt(session, delivery_id, attempt, started_at, now, "retry", error)
    return _apply_if_held(
        session,
        delivery_id,
        attempt,
        status=DeliveryStatus.RETRYING,
        lease_until=None,
        next_attempt_at=next_attempt_at,
        last_error=error[:_MAX_ERROR_CHARS],
    )


def record_dead(
    session: Session,
    delivery_id: int,
    *,
    attempt: int,
    started_at: datetime,
    now: datetime,
    error: str,
    outcome: Literal["rejected", "dead"],
) -> bool:
    """Log attempt ``attempt`` as the last one and mark the row ``dead`` (replayable).

    ``outcome`` is ``rejected`` when the partner refused the message, ``dead`` when
    retries ran out. Returns whether the claim still held.
    """
    _log_attempt(session, delivery_id, attempt, started_at, now, outcome, error)
    return _apply_if_held(
        session,
        delivery_id,
        attempt,
        status=DeliveryStatus.DEAD,
        lease_until=None,
        next_attempt_at=None,
        last_error=error[:_MAX_ERROR_CHARS],
    )


def schedule_retry(session: Session, delivery_id: int, *, next_attempt_at: datetime) -> bool:
    """Set when a ``retrying`` row's next attempt is due; returns whether the row was retrying."""
    result = session.execute(
        update(OutboxDelivery)
        .where(OutboxDelivery.id == delivery_id, OutboxDelivery.status == DeliveryStatus.RETRYING)
        .values(next_attempt_at=next_attempt_at)
    )
    return _rowcount(result) == 1


def mark_dead(session: Session, delivery_id: int, *, error: str, min_attempts: int = 0) -> bool:
    """Mark a row ``dead`` unless it is already delivered, dead or cancelled, or was
    claimed fewer than ``min_attempts`` times.

    Idempotent: returns whether the row changed. Used when the broker gives up on a
    message whose attempt left no outcome (a time limit, a crash while recording).
    ``min_attempts``: the broker also counts failures before the claim (the database
    down), which are no attempt at the partner; a row they ended stays for the sweeper.
    """
    result = session.execute(
        update(OutboxDelivery)
        .where(
            OutboxDelivery.id == delivery_id,
            OutboxDelivery.status.not_in(_FINAL_STATUSES),
            OutboxDelivery.attempts >= min_attempts,
        )
        .values(
            status=DeliveryStatus.DEAD,
            lease_until=None,
            next_attempt_at=None,
            last_error=error[:_MAX_ERROR_CHARS],
        )
    )
    return _rowcount(result) == 1


def _log_attempt(
    session: Session,
    delivery_id: int,
    number: int,
    started_at: datetime,
    finished_at: datetime,
    outcome: AttemptOutcome,
    error: str | None,
) -> None:
    session.connection().execute(
        _LOG_ATTEMPT,
        {
            "delivery_id": delivery_id,
            "number": number,
            "started_at": started_at,
            "finished_at": finished_at,
            "outcome": outcome,
            "error": error,
        },
    )


def _apply_if_held(session: Session, delivery_id: int, attempt: int, **values: object) -> bool:
    result = session.connection().execute(
        _IF_HELD, {"delivery_id": delivery_id, "attempt": attempt, **values}
    )
    return result.rowcount == 1


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


# --- the sweeper's view and bookkeeping ------------------------------------------------


def find_stuck_push_deliveries(
    session: Session, *, now: datetime, stuck_after_s: float, limit: int
) -> Sequence[OutboxDelivery]:
    """Push rows the broker has apparently lost, urgent first, then oldest first.

    A row counts as stuck when it is one of these:

    - ``pending``, and not (re-)enqueued recently (``enqueued_at``, else
      ``created_at``);
    - ``in_flight`` with an expired lease (its worker died), and not re-enqueued
      since it was claimed, or not recently;
    - ``retrying``, ``next_attempt_at`` more than ``stuck_after_s`` seconds ago, and
      not re-enqueued recently;
    - ``pending``, due (``next_attempt_at`` reached) and in no broker message
      (``enqueued_at`` cleared): parked by ``park_delivery`` or replayed; sent at once.

    "Recently" is ``stuck_after_s`` seconds, doubled for each re-send since a worker
    last claimed the row (``resends``, up to ``2 ** MAX_RESEND_DOUBLINGS`` times): on
    its own the outbox cannot say whether a row is lost or only waiting behind a long
    backlog, and re-sending a waiting backlog on every pass floods the queue with
    copies (the sweeper narrows this with the broker's count where it can read one).
    Rows of a paused partner, or of one whose circuit blocks until later, are left
    out: they wait without being sent in a loop.
    """
    return _stuck_rows(
        session,
        _stuck(now, stuck_after_s),
        now=now,
        order_first=_urgent_first(),
        limit=limit,
    )


def count_push_rows_in_broker(session: Session) -> dict[str, int]:
    """Push rows a broker message should be holding, by priority.

    That is every push row neither delivered, dead nor cancelled whose last hand-off
    to the broker (``enqueued_at``) stands: ``pending`` and ``retrying`` rows wait in
    the broker, and an ``in_flight`` row's message stays there until its worker acks.
    Rows with ``enqueued_at`` cleared (parked, replayed) are in no message.
    """
    rows = session.execute(
        select(OutboxDelivery.priority, func.count())
        .where(
            OutboxDelivery.mode == DeliveryMode.PUSH,
            OutboxDelivery.status.in_(_OPEN_STATUSES),
            OutboxDelivery.enqueued_at.is_not(None),
        )
        .group_by(OutboxDelivery.priority)
    )
    return {priority: count for priority, count in rows}


def find_stuck_unvouched_push_deliveries(
    session: Session, *, now: datetime, stuck_after_s: float, limit: int
) -> Sequence[OutboxDelivery]:
    """The stuck rows (``find_stuck_push_deliveries``) no broker count can vouch for.

    Those in no broker message (``enqueued_at`` cleared: parked, replayed); those
    ``in_flight`` whose lease ran out (their worker died: its broker message still
    counts as held until the broker's own recovery hands it back, which may take
    minutes); and those not handed to the broker for longer than the longest doubled
    wait (``stuck_after_s * 2 ** MAX_RESEND_DOUBLINGS``), the backstop against a count
    that hides a loss. Urgent first, then oldest first.
    """
    return _stuck_rows(
        session,
        and_(_stuck(now, stuck_after_s), _unvouched(now, stuck_after_s)),
        now=now,
        order_first=_urgent_first(),
        limit=limit,
    )


def find_stuck_held_push_deliveries(
    session: Session,
    *,
    now: datetime,
    stuck_after_s: float,
    priorities: Collection[str],
    limit: int,
) -> Sequence[OutboxDelivery]:
    """Stuck rows of ``priorities`` a broker message should hold, waiting longest first.

    The complement of ``find_stuck_unvouched_push_deliveries`` among the stuck rows,
    so no pass sends a row twice: handed to the broker (``enqueued_at`` set) within
    the longest doubled wait, and not held by a dead worker. The sweeper takes as
    many as its broker count shows missing.
    """
    return _stuck_rows(
        session,
        and_(
            _stuck(now, stuck_after_s),
            OutboxDelivery.priority.in_(list(priorities)),
            ~_unvouched(now, stuck_after_s),
        ),
        now=now,
        order_first=_last_sent(),
        limit=limit,
    )


def _unvouched(now: datetime, stuck_after_s: float) -> ColumnElement[bool]:
    """Rows no broker count can vouch for (see ``find_stuck_unvouched_push_deliveries``).

    Never NULL for a push row, so its negation is exactly the other rows: the lease of
    an in_flight row is always set (``claim_for_push``).
    """
    return or_(
        OutboxDelivery.enqueued_at.is_(None),
        and_(OutboxDelivery.status == DeliveryStatus.IN_FLIGHT, OutboxDelivery.lease_until < now),
        _last_sent() < _backstop(now, stuck_after_s),
    )


def _last_sent() -> ColumnElement[datetime]:
    return func.coalesce(OutboxDelivery.enqueued_at, OutboxDelivery.created_at)


def _backstop(now: datetime, stuck_after_s: float) -> datetime:
    return now - timedelta(seconds=stuck_after_s * 2**MAX_RESEND_DOUBLINGS)


def _stuck(now: datetime, stuck_after_s: float) -> ColumnElement[bool]:
    horizon = now - timedelta(seconds=stuck_after_s)
    last_sent = _last_sent()
    not_recently_sent = or_(
        *(
            and_(
                OutboxDelivery.resends == doublings
                if doublings < MAX_RESEND_DOUBLINGS
                else OutboxDelivery.resends >= doublings,
                last_sent < now - timedelta(seconds=stuck_after_s * 2**doublings),
            )
            for doublings in range(MAX_RESEND_DOUBLINGS + 1)
        )
    )
    return or_(
        and_(OutboxDelivery.status == DeliveryStatus.PENDING, not_recently_sent),
        and_(
            OutboxDelivery.status == DeliveryStatus.IN_FLIGHT,
            OutboxDelivery.lease_until < now,
            or_(last_sent < OutboxDelivery.lease_until, not_recently_sent),
        ),
        and_(
            OutboxDelivery.status == DeliveryStatus.RETRYING,
            OutboxDelivery.next_attempt_at < horizon,
            not_recently_sent,
        ),
        and_(
            OutboxDelivery.status == DeliveryStatus.PENDING,
            OutboxDelivery.enqueued_at.is_(None),
            OutboxDelivery.next_attempt_at <= now,
        ),
    )


def _stuck_rows(
    session: Session,
    condition: ColumnElement[bool],
    *,
    now: datetime,
    order_first: ColumnElement[Any],
    limit: int,
) -> Sequence[OutboxDelivery]:
    """Push rows meeting ``condition``, of partners neither paused nor blocked by their circuit.

    Ordered by ``order_first``, then by id.
    """
    return (
        session.execute(
            select(OutboxDelivery)
            .where(OutboxDelivery.mode == DeliveryMode.PUSH, condition, ~waiting_partner(now))
            .order_by(order_first, OutboxDelivery.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )


def mark_enqueued(session: Session, ids: Iterable[int], *, now: datetime) -> None:
    """Record that the sweeper handed rows ``ids`` to the broker again at ``now``."""
    id_list = list(ids)
    if id_list:
        session.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.id.in_(id_list))
            .values(enqueued_at=now, resends=OutboxDelivery.resends + 1)
            .execution_options(synchronize_session=False)
        )


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

    The caller enqueues it after commit; ``enqueued_at`` is cleared so that, should
    that send be lost, the sweeper treats the row like any other unsent one.
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
    row.enqueued_at = None
    row.lease_until = None
    row.next_attempt_at = now
    session.flush()
    return row
