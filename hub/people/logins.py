"""Password login: one function that throttles, verifies and records every try.

The order matters: the throttle is checked before the password, so a guesser
learns nothing from a blocked try, and the argon2 verification runs even for an
unknown or disabled login, so the answer time does not tell which logins exist.
"""

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hub.people.accounts import find_person
from hub.people.passwords import burn_verify, hash_password, needs_rehash, verify_password
from hub.people.throttle import prune_login_attempts, throttled_for_s
from hub.store import LoginAttempt, Person

#: Width of the login and client columns of ``login_attempt``.
_KEY_CHARS = 64


class LoginRefused(Exception):
    """Wrong login or wrong password: deliberately one error for both."""


class LoginThrottled(Exception):
    """Too many failed tries for this login or from this client; try again later."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"login throttled for {retry_after_s} s")
        #: Seconds until the window lets another try through.
        self.retry_after_s = retry_after_s


def log_in(
    session: Session,
    *,
    login: str,
    password: str,
    client: str,
    now: datetime,
    max_failures: int,
    window_s: int,
    keep_s: int,
) -> Person:
    """The active person whose login and password these are; the caller commits either way.

    Every try that reaches the password check is recorded as a ``LoginAttempt``;
    a throttled try is not, so waiting out the window always works. Recording one
    deletes the attempts older than ``keep_s`` seconds (at least ``window_s``), so the
    table holds what the throttle counts plus a recent history, not years of tries.

    Raises:
        LoginThrottled: ``max_failures`` failures for this login, or from this client,
            within ``window_s`` seconds.
        LoginRefused: unknown login, wrong password or disabled account.
    """
    login = login.strip().lower()[:_KEY_CHARS]
    client = client[:_KEY_CHARS]
    wait_s = throttled_for_s(
        session, login=login, client=client, now=now, max_failures=max_failures, window_s=window_s
    )
    if wait_s is not None:
        raise LoginThrottled(wait_s)
    person = find_person(session, login)
    if person is None:
        burn_verify(password)
        ok = False
    else:
        ok = verify_password(person.password_hash, password) and person.active
    session.add(LoginAttempt(login=login, client=client, at=now, succeeded=ok))
    prune_login_attempts(session, before=now - timedelta(seconds=max(keep_s, window_s)))
    session.flush()
    if person is None or not ok:
        raise LoginRefused()
    if needs_rehash(person.password_hash):
        person.password_hash = hash_password(password)
    return person
