"""The audit log of people's actions: logins, and every view or export of case data.

Rows say who (login and role at the time), what (a short action code such as
``case.view``), which case, and why if the person gave a reason. ``detail`` is
machine-made (filters, formats, channel) and never holds personal data; no
password ever reaches this table.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.cases.scope import Viewer
from hub.store import AuditEntry, Person

#: Column widths of ``audit_entry``; longer values are cut rather than refused.
_LOGIN_CHARS = 64
_ACTION_CHARS = 32
_TEXT_CHARS = 500


def record_audit(
    session: Session,
    *,
    viewer: Viewer | None,
    login: str,
    action: str,
    case_ref: str | None = None,
    detail: str | None = None,
    reason: str | None = None,
    client: str | None,
    now: datetime,
) -> None:
    """Add one audit row; the caller commits it with the action it records.

    ``viewer`` is None when nobody is signed in (a refused or throttled login); the
    row then carries the login as typed and no role.
    """
    person_id = None
    if viewer is not None:
        person_id = session.scalar(select(Person.id).where(Person.login == viewer.login))
    session.add(
        AuditEntry(
            at=now,
            person_id=person_id,
            login=login[:_LOGIN_CHARS],
            role=viewer.role.value if viewer is not None else "",
            action=action[:_ACTION_CHARS],
            case_ref=case_ref,
            detail=detail[:_TEXT_CHARS] if detail is not None else None,
            reason=reason[:_TEXT_CHARS] if reason is not None else None,
            client=client[:_LOGIN_CHARS] if client is not None else None,
        )
    )


def list_audit(
    session: Session,
    *,
    login: str | None = None,
    case_ref: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> Sequence[AuditEntry]:
    """Audit rows matching every filter given, newest first, at most ``limit``."""
    query = select(AuditEntry)
    if login is not None:
        query = query.where(AuditEntry.login == login)
    if case_ref is not None:
        query = query.where(AuditEntry.case_ref == case_ref)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    return session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    ).all()
