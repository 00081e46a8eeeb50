"""Operators steering delivery: pause or resume a partner, cancel, replay dead letters.

Each operation checks everything it will touch first and raises ``OperationRefused``
(``ops.*``) before writing anything, then changes the rows and writes one
``AuditEntry`` (who, role, what, why) in the caller's transaction; nothing here
commits. The web pages and the CLI call these with an ``Actor``.

Nothing is sent from here: a resumed partner's waiting rows and replayed rows are
picked up by the worker's sweeper within ``sweep_interval_s``; a caller holding the
delivery actors may wake their partners' lanes after commit to save that wait.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.errors import OperationRefused
from hub.store import (
    AuditEntry,
    DeliveryStatus,
    MessageLog,
    OutboxDelivery,
    Partner,
    Person,
    replay_dead,
)

__all__ = [
    "Actor",
    "cancel_delivery",
    "matching_dead",
    "pause_partner",
    "partner_for_update",
    "record_operation",
    "replay_dead_letters",
    "replay_filters_detail",
    "required_reason",
    "resume_partner",
    "select_dead_letters",
]

#: ``reason`` and ``detail`` columns (audit, pause, cancel) hold at most this many characters.
_MAX_TEXT_CHARS = 500


@dataclass(frozen=True)
class Actor:
    """Who acts: a person from the web (their login and role), or the CLI.

    The CLI acts as ``Actor(login="cli:<os user>", role="operator")``.
    """

    login: str
    role: str


def pause_partner(
    session: Session, code: str, *, actor: Actor, reason: str, now: datetime
) -> Partner:
    """Stop deliveries to partner ``code``: they wait in the outbox, none is lost or attempted.

    Push rows are not claimed while paused (no attempt is logged or counted) and a
    pulling partner's inbox answers empty. Not idempotent: pausing twice is refused,
    so the audit trail shows one pause per resume.

    Raises:
      OperationRefused: ``ops.reason_required``, ``ops.unknown_partner``,
        ``ops.already_paused``.
    """
    why = required_reason(reason)
    partner = partner_for_update(session, code)
    if partner.paused:
        raise OperationRefused("ops.already_paused", f"partner {code}")
    partner.paused = True
    partner.paused_reason = why
    record_operation(session, actor, "partner.pause", f"partner={code}", why, now)
    return partner


def resume_partner(
    session: Session, code: str, *, actor: Actor, reason: str, now: datetime
) -> Partner:
    """Let deliveries to partner ``code`` flow again; the sweeper sends what waited.

    Raises:
      OperationRefused: ``ops.reason_required``, ``ops.unknown_partner``, ``ops.not_paused``.
    """
    why = required_reason(reason)
    partner = partner_for_update(session, code)
    if not partner.paused:
        raise OperationRefused("ops.not_paused", f"partner {code}")
    partner.paused = False
    partner.paused_reason = None
    record_operation(session, actor, "partner.resume", f"partner={code}", why, now)
    return partner


def cancel_delivery(
    session: Session, delivery_id: int, *, actor: Actor, reason: str, now: datetime
) -> OutboxDelivery:
    """Give up on delivery ``delivery_id`` for good: status ``cancelled``, ``cancel_reason`` set.

    Pending, retrying, dead and in-flight rows can be cancelled. An attempt already
    in flight may still reach the partner; its outcome is then not recorded on the row
    (the claim no longer holds), only in the attempt log.

    Raises:
      OperationRefused: ``ops.reason_required``, ``ops.unknown_delivery``,
        ``ops.already_final`` (delivered or cancelled already).
    """
    why = required_reason(reason)
    row = session.get(OutboxDelivery, delivery_id, with_for_update=True)
    if row is None:
        raise OperationRefused("ops.unknown_delivery", f"delivery {delivery_id} not found")
    if row.status in (DeliveryStatus.DELIVERED, DeliveryStatus.CANCELLED):
        raise OperationRefused("ops.already_final", f"delivery {delivery_id} is {row.status.value}")
    row.status = DeliveryStatus.CANCELLED
    row.cancel_reason = why
    row.lease_until = None
    row.next_attempt_at = None
    session.flush()
    record_operation(session, actor, "delivery.cancel", f"delivery={delivery_id}", why, now)
    return row


def replay_dead_letters(
    session: Session,
    *,
    actor: Actor,
    reason: str,
    now: datetime,
    ids: Sequence[int] | None = None,
    partner: str | None = None,
    message_type: str | None = None,
    since: datetime | None = None,
) -> list[int]:
    """Send dead deliveries again (``pending``, due ``now``); returns the replayed ids, ascending.

    Either ``ids`` (all must exist and be dead, or nothing is replayed), or the dead
    rows matching every filter given: recipient ``partner``, ``message_type``, and
    created at or after ``since``. No filter at all means every dead row.

    A replay re-sends the same outbound copy with the same MessageId, so it is
    idempotent on the receiver: partners de-duplicate by MessageId, and a message
    replayed twice (or already received before it went dead) has one effect.

    Raises:
      OperationRefused: ``ops.reason_required``, ``ops.unknown_delivery`` or
        ``ops.not_dead`` (``ids``), ``ops.unknown_partner`` (``partner``).
      ValueError: both ``ids`` and a filter were given (a programming error).
    """
    why = required_reason(reason)
    chosen = select_dead_letters(
        session, ids=ids, partner=partner, message_type=message_type, since=since
    )
    if ids is not None:
        detail = "ids=" + ",".join(map(str, chosen))
    else:
        detail = replay_filters_detail(partner, message_type, since)
        detail = f"{detail} count={len(chosen)} ids=" + ",".join(map(str, chosen))
    for delivery_id in chosen:
        replay_dead(session, delivery_id, now=now)
    record_operation(session, actor, "delivery.replay", detail.strip(), why, now)
    return chosen


def select_dead_letters(
    session: Session,
    *,
    ids: Sequence[int] | None = None,
    partner: str | None = None,
    message_type: str | None = None,
    since: datetime | None = None,
) -> list[int]:
    """The dead deliveries a replay with these arguments takes, ascending, locked; changes
    nothing (``replay_dead_letters`` and a dry run share it).

    Raises:
      OperationRefused: ``ops.unknown_delivery`` or ``ops.not_dead`` (``ids``),
        ``ops.unknown_partner`` (``partner``).
      ValueError: both ``ids`` and a filter were given (a programming error).
    """
    if ids is None:
        if partner is not None:
            partner_for_update(session, partner)
        return matching_dead(session, partner=partner, message_type=message_type, since=since)
    if partner is not None or message_type is not None or since is not None:
        raise ValueError("replay either ids or by filters, not both")
    chosen = sorted(set(ids))
    rows = _deliveries_for_update(session, chosen)
    for delivery_id in chosen:
        row = rows.get(delivery_id)
        if row is None:
            raise OperationRefused("ops.unknown_delivery", f"delivery {delivery_id} not found")
        if row.status is not DeliveryStatus.DEAD:
            raise OperationRefused(
                "ops.not_dead", f"delivery {delivery_id} is {row.status.value}, not dead"
            )
    return chosen


def replay_filters_detail(
    partner: str | None, message_type: str | None, since: datetime | None
) -> str:
    """The filters of a replay as the audit's ``detail`` names them (those given)."""
    filters = {
        "partner": partner,
        "type": message_type,
        "since": since.isoformat() if since is not None else None,
    }
    return " ".join(f"{k}={v}" for k, v in filters.items() if v is not None)


def required_reason(reason: str) -> str:
    """``reason`` stripped and cut to what the audit keeps.

    Raises:
      OperationRefused: ``ops.reason_required`` for a blank one.
    """
    why = reason.strip()
    if not why:
        raise OperationRefused("ops.reason_required")
    return why[:_MAX_TEXT_CHARS]


def partner_for_update(session: Session, code: str) -> Partner:
    """Partner ``code``, locked for the rest of the transaction.

    Raises:
      OperationRefused: ``ops.unknown_partner``.
    """
    partner = session.execute(
        select(Partner).where(Partner.code == code).with_for_update()
    ).scalar_one_or_none()
    if partner is None:
        raise OperationRefused("ops.unknown_partner", f"partner {code} not found")
    return partner


def _deliveries_for_update(session: Session, ids: Sequence[int]) -> dict[int, OutboxDelivery]:
    rows = session.execute(
        select(OutboxDelivery).where(OutboxDelivery.id.in_(ids)).with_for_update()
    ).scalars()
    return {row.id: row for row in rows}


def matching_dead(
    session: Session,
    *,
    partner: str | None,
    message_type: str | None,
    since: datetime | None,
    after: int = 0,
    up_to: int | None = None,
    limit: int | None = None,
) -> list[int]:
    """Ids of dead deliveries matching every filter given, ascending; ``after`` and
    ``up_to`` bound the ids (a bulk replay's chunk), ``limit`` their number."""
    query = select(OutboxDelivery.id).where(
        OutboxDelivery.status == DeliveryStatus.DEAD, OutboxDelivery.id > after
    )
    if up_to is not None:
        query = query.where(OutboxDelivery.id <= up_to)
    if partner is not None:
        query = query.where(OutboxDelivery.recipient == partner)
    if message_type is not None:
        query = query.join(MessageLog, OutboxDelivery.message_log_id == MessageLog.id).where(
            MessageLog.message_type == message_type
        )
    if since is not None:
        query = query.where(OutboxDelivery.created_at >= since)
    return list(session.execute(query.order_by(OutboxDelivery.id).limit(limit)).scalars())


def record_operation(
    session: Session,
    actor: Actor,
    action: str,
    detail: str,
    reason: str | None,
    now: datetime,
    *,
    case_ref: str | None = None,
) -> None:
    """Audit one operator action (who, what, why); the caller commits it with the action."""
    person_id = session.execute(
        select(Person.id).where(Person.login == actor.login)
    ).scalar_one_or_none()
    if len(detail) > _MAX_TEXT_CHARS:
        detail = detail[: _MAX_TEXT_CHARS - 1] + "…"
    session.add(
        AuditEntry(
            at=now,
            person_id=person_id,
            login=actor.login[:64],
            role=actor.role[:16],
            action=action,
            case_ref=case_ref,
            detail=detail,
            reason=reason,
        )
    )
    session.flush()
