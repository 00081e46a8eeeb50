"""Delivery state per partner: whether an administrator paused it, and its circuit breaker row.

The circuit's policy (when to open, how long to cool down) lives in ``queues``;
here are the rows and the locks. Every function takes a ``Session`` and never
commits.
"""

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hub.store.models.messages import OutboxDelivery, Partner, PartnerCircuit

__all__ = [
    "CircuitState",
    "GateView",
    "close_circuit",
    "find_circuit",
    "gate_view",
    "is_partner_paused",
    "lock_circuit",
    "waiting_partner",
]


class CircuitState(enum.StrEnum):
    """``partner_circuit.state``."""

    CLOSED = "closed"  # deliveries go through
    OPEN = "open"  # deliveries wait until probe_at
    HALF_OPEN = "half_open"  # one probe is in flight until probe_at (its lease)


def is_partner_paused(session: Session, code: str) -> bool:
    """Whether an administrator paused partner ``code`` (an unknown code is not paused)."""
    paused = session.execute(select(Partner.paused).where(Partner.code == code)).scalar()
    return bool(paused)


@dataclass(frozen=True)
class GateView:
    """A partner's pause flag and circuit state, read without a lock."""

    paused: bool
    #: ``None`` while the partner has no circuit row yet.
    circuit: CircuitState | None


# Built once: every delivery attempt reads the gate and, on success, closes the circuit.
_GATE_VIEW = (
    select(Partner.paused, PartnerCircuit.state)
    .select_from(Partner)
    .outerjoin(PartnerCircuit, PartnerCircuit.partner_code == Partner.code)
    .where(Partner.code == bindparam("code"))
)
# Only a closed circuit: closing an open one is a transition, counted and logged under its lock.
_CLOSE = (
    update(PartnerCircuit)
    .where(
        PartnerCircuit.partner_code == bindparam("code"),
        PartnerCircuit.state == CircuitState.CLOSED.value,
    )
    .values(
        state=CircuitState.CLOSED.value,
        consecutive_failures=0,
        opened_at=None,
        probe_at=None,
        last_success_at=bindparam("success_at"),
    )
)


def gate_view(session: Session, code: str) -> GateView | None:
    """Partner ``code``'s pause flag and circuit state, unlocked; ``None`` for an unknown code."""
    row = session.connection().execute(_GATE_VIEW, {"code": code}).one_or_none()
    if row is None:
        return None
    return GateView(bool(row.paused), None if row.state is None else CircuitState(row.state))


def close_circuit(session: Session, code: str, *, now: datetime) -> bool:
    """Refresh partner ``code``'s closed circuit after a success at ``now``, in one ``UPDATE``.

    The ``UPDATE`` takes the row lock itself (PostgreSQL), so this is ``lock_circuit``
    and a change in one statement. Returns ``False`` when the partner has no circuit
    row yet or its circuit is not closed (nothing was changed): the caller closes it
    under ``lock_circuit``.
    """
    result = session.connection().execute(_CLOSE, {"code": code, "success_at": now})
    return result.rowcount == 1


def find_circuit(session: Session, code: str) -> PartnerCircuit | None:
    """The circuit row of partner ``code``, if it was ever used; no lock."""
    return session.get(PartnerCircuit, code)


def lock_circuit(session: Session, code: str) -> PartnerCircuit:
    """The circuit row of partner ``code``, created closed if missing, locked for this transaction.

    PostgreSQL: ``SELECT … FOR UPDATE`` (after an ``INSERT … ON CONFLICT DO NOTHING``,
    so two first users do not collide); SQLite: writers are already serialised by the
    engine's ``BEGIN IMMEDIATE``. Lock it before the outbox row, as every caller does.
    """
    locked = (
        select(PartnerCircuit)
        .where(PartnerCircuit.partner_code == code)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    circuit = session.execute(locked).scalar_one_or_none()
    if circuit is not None:
        return circuit
    values = {"partner_code": code, "state": CircuitState.CLOSED.value, "consecutive_failures": 0}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql_insert(PartnerCircuit).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite_insert(PartnerCircuit).values(values).on_conflict_do_nothing())
    else:
        session.execute(insert(PartnerCircuit).values(values))
    return session.execute(locked).scalar_one()


def waiting_partner(now: datetime) -> ColumnElement[bool]:
    """SQL condition: the outbox row's recipient is paused, or its circuit blocks until later.

    A circuit blocks while it is not closed and ``probe_at`` is still ahead; once
    ``probe_at`` has passed, one probe may go (the worker decides which).
    """
    paused = select(Partner.code).where(Partner.paused.is_(True))
    blocked = select(PartnerCircuit.partner_code).where(
        and_(
            PartnerCircuit.state != CircuitState.CLOSED.value,
            PartnerCircuit.probe_at > now,
        )
    )
    return OutboxDelivery.recipient.in_(paused) | OutboxDelivery.recipient.in_(blocked)
