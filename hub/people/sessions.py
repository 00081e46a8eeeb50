"""Web sessions: a random token in the person's cookie (or Bearer header), its hash in the table.

A stolen database gives no usable tokens, since only SHA-256 hashes are kept; the
token has 256 random bits, so a fast hash is enough. Each session carries its own
CSRF token for the forms of the pages it sees. Sessions last a fixed time from
login (no sliding), and end at logout or when the account is disabled.
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from hub.store import Person, WebSession


def open_session(
    session: Session, person: Person, *, now: datetime, ttl_s: int
) -> tuple[str, WebSession]:
    """A new session for ``person``: the raw token (shown once, to the client) and its row."""
    token = secrets.token_urlsafe(32)
    row = WebSession(
        token_hash=_token_hash(token),
        person_id=person.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_s),
        ended_at=None,
    )
    session.add(row)
    session.flush()
    return token, row


def find_session(
    session: Session, token: str, *, now: datetime
) -> tuple[WebSession, Person] | None:
    """The live session this token opens, with its person; None when unknown, expired,
    ended, or the person's account is disabled."""
    found = session.execute(
        select(WebSession, Person)
        .join(Person, Person.id == WebSession.person_id)
        .where(WebSession.token_hash == _token_hash(token))
    ).one_or_none()
    if found is None:
        return None
    row, person = found
    if row.ended_at is not None or row.expires_at <= now or not person.active:
        return None
    return row, person


def end_session(session: Session, token: str, *, now: datetime) -> None:
    """End the session this token opens (logout); unknown or ended tokens are ignored."""
    row = session.scalar(select(WebSession).where(WebSession.token_hash == _token_hash(token)))
    if row is not None and row.ended_at is None:
        row.ended_at = now
        session.flush()


def end_sessions_of(session: Session, person: Person, *, now: datetime) -> int:
    """End every open session of ``person`` (a password reset); how many were open."""
    ended = session.execute(
        update(WebSession)
        .where(WebSession.person_id == person.id, WebSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    return int(cast(CursorResult[Any], ended).rowcount)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
