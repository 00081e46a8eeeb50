"""Login rate limits: too many failed logins for one account, or from one client, wait.

Counted from the ``login_attempt`` rows within a sliding window, so the limit holds
across processes and restarts. A success clears the count for that login (the
person knows the password), but not for the client: an address guessing many
accounts keeps its count even if one guess lands.
"""

import math
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from hub.store import LoginAttempt


def throttled_for_s(
    session: Session,
    *,
    login: str,
    client: str,
    now: datetime,
    max_failures: int,
    window_s: int,
) -> int | None:
    """Seconds until another try is allowed, or None when one is allowed now."""
    window_start = now - timedelta(seconds=window_s)
    last_success = session.scalar(
        select(func.max(LoginAttempt.at)).where(LoginAttempt.login == login, LoginAttempt.succeeded)
    )
    login_since = max(window_start, last_success) if last_success is not None else window_start
    waits = [
        _wait_s(session, LoginAttempt.login == login, login_since, now, window_s, max_failures),
        _wait_s(session, LoginAttempt.client == client, window_start, now, window_s, max_failures),
    ]
    return max((wait for wait in waits if wait is not None), default=None)


def prune_login_attempts(session: Session, *, before: datetime) -> None:
    """Delete the attempts made before ``before``; the caller commits."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < before))


def _wait_s(
    session: Session,
    key: ColumnElement[bool],
    since: datetime,
    now: datetime,
    window_s: int,
    n: int,
) -> int | None:
    """Seconds until fewer than ``n`` failures matching ``key`` remain in the window."""
    recent = session.scalars(
        select(LoginAttempt.at)
        .where(key, ~LoginAttempt.succeeded, LoginAttempt.at > since)
        .order_by(LoginAttempt.at.desc())
        .limit(n)
    ).all()
    if len(recent) < n:
        return None
    # The n-th most recent failure leaves the window first among the n that block.
    frees_at = recent[-1] + timedelta(seconds=window_s)
    return max(1, math.ceil((frees_at - now).total_seconds()))
