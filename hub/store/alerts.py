"""Queries over alert incidents, their notifications and periodic jobs' claims.

Every function takes the caller's ``Session`` and never commits. Claims are single
``UPDATE … WHERE <free>`` statements, so two workers never both hold one.

Errors::

    LookupError
    └── IncidentNotFound    no incident with this id
"""

import enum
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.store.models.alerts import AlertIncident, AlertNotification, JobClaim
from hub.store.models.messages import PartnerCircuit

__all__ = [
    "AlertState",
    "IncidentNotFound",
    "acknowledge_incident",
    "alert_state_counts",
    "circuit_transition_counts",
    "claim_job",
    "claim_notification",
    "list_incidents",
    "open_incidents",
    "unsent_notifications",
]


class AlertState(enum.StrEnum):
    """An incident's state as operators see it (``hub_alerts{state}``)."""

    OPEN = "open"  # firing, nobody acknowledged it yet
    ACKNOWLEDGED = "acknowledged"  # firing, someone took it
    RESOLVED = "resolved"


class IncidentNotFound(LookupError):
    """No alert incident has this id."""

    def __init__(self, incident_id: int) -> None:
        super().__init__(f"no alert incident {incident_id}")
        self.incident_id = incident_id


def open_incidents(session: Session) -> Sequence[AlertIncident]:
    """Every incident not yet resolved, oldest first."""
    return session.scalars(
        select(AlertIncident)
        .where(AlertIncident.resolved_at.is_(None))
        .order_by(AlertIncident.started_at, AlertIncident.id)
    ).all()


def list_incidents(
    session: Session, *, include_resolved: bool, limit: int
) -> Sequence[AlertIncident]:
    """Open incidents (and, with ``include_resolved``, resolved ones), newest first."""
    query = select(AlertIncident).order_by(AlertIncident.started_at.desc(), AlertIncident.id.desc())
    if not include_resolved:
        query = query.where(AlertIncident.resolved_at.is_(None))
    return session.scalars(query.limit(limit)).all()


def acknowledge_incident(
    session: Session, incident_id: int, *, by: str, now: datetime
) -> AlertIncident:
    """Record that ``by`` took incident ``incident_id``; a second acknowledgement keeps the first.

    Raises:
      IncidentNotFound: no such incident.
    """
    incident = session.get(AlertIncident, incident_id, with_for_update=True)
    if incident is None:
        raise IncidentNotFound(incident_id)
    if incident.acked_at is None:
        incident.acked_by = by
        incident.acked_at = now
        session.flush()
    return incident


def alert_state_counts(session: Session) -> dict[AlertState, int]:
    """How many incidents are in each state (every state present, zero included)."""
    counts = dict.fromkeys(AlertState, 0)
    rows = session.execute(
        select(
            AlertIncident.resolved_at.is_not(None),
            AlertIncident.acked_at.is_not(None),
            func.count(),
        ).group_by(AlertIncident.resolved_at.is_not(None), AlertIncident.acked_at.is_not(None))
    )
    for resolved, acked, count in rows:
        if resolved:
            counts[AlertState.RESOLVED] += count
        elif acked:
            counts[AlertState.ACKNOWLEDGED] += count
        else:
            counts[AlertState.OPEN] += count
    return counts


def circuit_transition_counts(session: Session) -> list[tuple[str, int, int]]:
    """``(partner, times opened, times closed)`` for every partner with a circuit row."""
    rows = session.execute(
        select(
            PartnerCircuit.partner_code, PartnerCircuit.opened_total, PartnerCircuit.closed_total
        ).order_by(PartnerCircuit.partner_code)
    )
    return [(code, opened, closed) for code, opened, closed in rows]


def claim_job(session: Session, name: str, *, now: datetime, until: datetime) -> bool:
    """Take job ``name``'s turn until ``until`` if nobody holds it at ``now``; whether taken."""
    result = session.execute(
        update(JobClaim)
        .where(JobClaim.name == name, JobClaim.claimed_until <= now)
        .values(claimed_until=until)
    )
    if cast("CursorResult[Any]", result).rowcount == 1:
        return True
    if session.get(JobClaim, name) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(JobClaim(name=name, claimed_until=until))
    except IntegrityError:
        return False  # another worker created it first: its turn
    return True


def unsent_notifications(session: Session, *, now: datetime) -> Sequence[AlertNotification]:
    """Notifications not sent yet and not held by a sender at ``now``, oldest first."""
    return session.scalars(
        select(AlertNotification)
        .where(
            AlertNotification.sent_at.is_(None),
            or_(
                AlertNotification.claimed_until.is_(None),
                AlertNotification.claimed_until <= now,
            ),
        )
        .order_by(AlertNotification.id)
    ).all()


def claim_notification(
    session: Session, notification_id: int, *, now: datetime, until: datetime
) -> bool:
    """Hold an unsent notification until ``until`` for sending; whether this caller got it."""
    result = session.execute(
        update(AlertNotification)
        .where(
            AlertNotification.id == notification_id,
            AlertNotification.sent_at.is_(None),
            or_(
                AlertNotification.claimed_until.is_(None),
                AlertNotification.claimed_until <= now,
            ),
        )
        .values(claimed_until=until, attempts=AlertNotification.attempts + 1)
    )
    return cast("CursorResult[Any]", result).rowcount == 1
