"""Incidents from findings: open one per new subject, count repeats, resolve what went away.

Flood control lives here: an incident's notifications are written when it opens and
when it resolves, one per channel, never when it is seen again — a partner failing a
hundred times while its incident is open gives one notice, and one more when it recovers.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from hub.alerts.kinds import Findings
from hub.alerts.rules import AlertRule
from hub.store import AlertIncident, AlertNotification

__all__ = ["Changes", "apply_findings"]

#: ``alert_incident.detail`` is a ``String(1000)`` column.
_MAX_DETAIL_CHARS = 1000


@dataclass
class Changes:
    """What one evaluation changed: the incidents it opened and resolved."""

    opened: list[AlertIncident] = field(default_factory=list)
    resolved: list[AlertIncident] = field(default_factory=list)


def apply_findings(
    session: Session,
    rule: AlertRule,
    findings: Findings,
    open_now: Sequence[AlertIncident],
    *,
    channels: Collection[str],
    now: datetime,
    changes: Changes,
) -> None:
    """Bring ``rule``'s incidents in line with ``findings``; ``open_now`` are its open ones.

    A found subject with an open incident counts a repeat; a new one opens an incident
    and a notice per channel; an open incident whose subject was not found resolves,
    with a notice per channel.
    """
    still_open = {incident.subject: incident for incident in open_now}
    for subject, detail in findings.items():
        incident = still_open.pop(subject, None)
        if incident is not None:
            incident.repeats += 1
            incident.last_seen_at = now
            incident.detail = detail[:_MAX_DETAIL_CHARS]
            continue
        incident = AlertIncident(
            rule=rule.name,
            subject=subject,
            title=rule.title,
            detail=detail[:_MAX_DETAIL_CHARS],
            started_at=now,
            last_seen_at=now,
            repeats=0,
        )
        session.add(incident)
        session.flush()
        _notify(session, incident, "opened", channels, now=now)
        changes.opened.append(incident)
    for incident in still_open.values():
        incident.resolved_at = now
        _notify(session, incident, "resolved", channels, now=now)
        changes.resolved.append(incident)


def _notify(
    session: Session,
    incident: AlertIncident,
    event: str,
    channels: Collection[str],
    *,
    now: datetime,
) -> None:
    for channel in channels:
        session.add(
            AlertNotification(
                incident_id=incident.id, event=event, channel=channel, created_at=now, attempts=0
            )
        )
