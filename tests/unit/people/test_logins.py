"""log_in: one refusal for any wrong login or password, a throttle before the check, a record."""

from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.people import LoginRefused, LoginThrottled, disable_person, find_person, log_in
from hub.store import LoginAttempt
from tests.unit.people.people_data import NOW, PASSWORD

MAX_FAILURES = 3
WINDOW_S = 600
KEEP_S = 3_600


def _try(
    session_factory: sessionmaker[Session],
    login: str,
    password: str,
    *,
    client: str = "10.0.0.1",
    at: datetime = NOW,
) -> str:
    """One login try, committed either way: "ok", "refused" or "throttled <seconds>"."""
    with session_factory.begin() as session:
        try:
            person = log_in(
                session,
                login=login,
                password=password,
                client=client,
                now=at,
                max_failures=MAX_FAILURES,
                window_s=WINDOW_S,
                keep_s=KEEP_S,
            )
        except LoginRefused:
            return "refused"
        except LoginThrottled as exc:
            return f"throttled {exc.retry_after_s}"
        return f"ok {person.login}"


def _attempts(session_factory: sessionmaker[Session]) -> list[tuple[str, str, bool]]:
    with session_factory() as session:
        rows = session.scalars(select(LoginAttempt).order_by(LoginAttempt.id)).all()
        return [(row.login, row.client, row.succeeded) for row in rows]


def test_the_right_password_logs_in_and_is_recorded(
    session_factory: sessionmaker[Session], curator_login: str
) -> None:
    assert _try(session_factory, curator_login, PASSWORD) == f"ok {curator_login}"
    assert _attempts(session_factory) == [(curator_login, "10.0.0.1", True)]


def test_the_login_is_matched_without_case_or_surrounding_spaces(
    session_factory: sessionmaker[Session], curator_login: str
) -> None:
    assert _try(session_factory, " IVANOVA ", PASSWORD) == f"ok {curator_login}"


@pytest.mark.parametrize(
    ("login", "password"),
    [("ivanova", "неверный-пароль"), ("nobody", PASSWORD), ("", "")],
    ids=["wrong password", "unknown login", "empty"],
)
def test_a_wrong_login_or_password_is_refused_alike_and_recorded(
    session_factory: sessionmaker[Session], curator_login: str, login: str, password: str
) -> None:
    assert _try(session_factory, login, password) == "refused"
    assert _attempts(session_factory) == [(login, "10.0.0.1", False)]


def test_a_disabled_account_is_refused_even_with_its_password(
    session_factory: sessionmaker[Session], curator_login: str
) -> None:
    with session_factory.begin() as session:
        disable_person(session, curator_login)
    assert _try(session_factory, curator_login, PASSWORD) == "refused"


def test_failures_for_one_login_throttle_it_before_the_password_is_checked(
    session_factory: sessionmaker[Session], curator_login: str
) -> None:
    # Given MAX_FAILURES wrong passwords, a minute apart, from different addresses
    for minute in range(MAX_FAILURES):
        at = NOW + timedelta(minutes=minute)
        assert _try(session_factory, curator_login, "нет", client=f"10.0.0.{minute}", at=at) == (
            "refused"
        )
    # When the right password comes from yet another address, still inside the window
    outcome = _try(
        session_factory, curator_login, PASSWORD, client="10.9.9.9", at=NOW + timedelta(minutes=5)
    )
    # Then it is throttled until the oldest failure leaves the window, and not recorded
    assert outcome == f"throttled {WINDOW_S - 5 * 60}"
    assert len(_attempts(session_factory)) == MAX_FAILURES


def test_failures_from_one_client_throttle_it_for_every_login(
    session_factory: sessionmaker[Session], curator_login: str
) -> None:
    for n in range(MAX_FAILURES):
        assert _try(session_factory, f"guess{n}", "нет", client="10.6.6.6") == "refused"
    assert _try(session_factory, curator_login, PASSWORD, client="10.6.6.6") == (
        f"throttled {WINDOW_S}"
    )
    assert _try(session_factory, curator_login, PASSWORD, client="10.0.0.2") == (
        f"ok {curator_login}"
    )


def test_the_throttle_lifts_when_the_window_slides_past(
    session_factory: sessionmaker[Session], curator_login: str
) -> None:
    for _ in range(MAX_FAILURES):
        assert _try(session_factory, curator_login, "нет") == "refused"
    just_before = NOW + timedelta(seconds=WINDOW_S - 1)
    assert _try(session_factory, curator_login, PASSWORD, at=just_before) == "throttled 1"
    at_the_end = NOW + timedelta(seconds=WINDOW_S)
    assert _try(session_factory, curator_login, PASSWORD, at=at_the_end) == f"ok {curator_login}"


def test_a_success_clears_the_count_for_its_login_but_not_for_the_client(
    session_factory: sessionmaker[Session], curator_login: str
) -> None:
    # Given one failure short of the limit, then a success, all from one address
    for _ in range(MAX_FAILURES - 1):
        _try(session_factory, curator_login, "нет")
    later = NOW + timedelta(minutes=1)
    assert _try(session_factory, curator_login, PASSWORD, at=later) == f"ok {curator_login}"
    # When the person mistypes once more from another address
    even_later = NOW + timedelta(minutes=2)
    assert _try(session_factory, curator_login, "нет", client="10.0.0.2", at=even_later) == (
        "refused"
    )
    # Then their login is not throttled (the old failures no longer count for it)…
    assert _try(session_factory, curator_login, PASSWORD, client="10.0.0.2", at=even_later) == (
        f"ok {curator_login}"
    )
    # …but the first address, one failure from its limit, is stopped by its next one
    _try(session_factory, "someone", "нет", at=even_later)
    assert _try(session_factory, curator_login, PASSWORD, at=even_later).startswith("throttled")


@pytest.mark.usefixtures("argon2_as_in_production")
def test_a_login_rehashes_a_password_stored_with_old_parameters(
    session_factory: sessionmaker[Session], curator_login: str
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8_192, parallelism=1).hash(PASSWORD)
    with session_factory.begin() as session:
        person = find_person(session, curator_login)
        assert person is not None
        person.password_hash = weak
    assert _try(session_factory, curator_login, PASSWORD) == f"ok {curator_login}"
    with session_factory() as session:
        person = find_person(session, curator_login)
        assert person is not None
        assert person.password_hash != weak
        assert person.password_hash.startswith("$argon2id$v=19$m=65536")


def test_recording_an_attempt_prunes_those_older_than_the_retention(
    session_factory: sessionmaker[Session], curator_login: str
) -> None:
    # Given a failure now and one half the retention later
    _try(session_factory, curator_login, "нет", client="10.0.0.1", at=NOW)
    _try(session_factory, curator_login, "нет", client="10.0.0.2", at=NOW + timedelta(seconds=1800))
    # When someone tries exactly the retention after the first: it is still kept
    _try(session_factory, "someone", "нет", client="10.0.0.3", at=NOW + timedelta(seconds=KEEP_S))
    assert [client for _, client, _ in _attempts(session_factory)] == [
        "10.0.0.1",
        "10.0.0.2",
        "10.0.0.3",
    ]
    # Then a try one second later deletes it, and only it
    _try(
        session_factory, "someone", "нет", client="10.0.0.4", at=NOW + timedelta(seconds=KEEP_S + 1)
    )
    assert [client for _, client, _ in _attempts(session_factory)] == [
        "10.0.0.2",
        "10.0.0.3",
        "10.0.0.4",
    ]
