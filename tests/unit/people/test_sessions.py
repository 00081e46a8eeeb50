"""Sessions: the token opens one until it expires, is ended, or the account is disabled."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.people import disable_person, end_session, find_person, find_session, open_session
from hub.store import WebSession
from tests.unit.people.people_data import NOW

TTL_S = 3_600


def _open(session_factory: sessionmaker[Session], login: str) -> str:
    with session_factory.begin() as session:
        person = find_person(session, login)
        assert person is not None
        token, _row = open_session(session, person, now=NOW, ttl_s=TTL_S)
    return token


def _found_login(session_factory: sessionmaker[Session], token: str, *, after_s: int) -> str | None:
    with session_factory() as session:
        found = find_session(session, token, now=NOW + timedelta(seconds=after_s))
        return None if found is None else found[1].login


def test_a_token_opens_its_session_until_it_expires(
    session_factory: sessionmaker[Session], curator_login: str
) -> None:
    token = _open(session_factory, curator_login)
    assert _found_login(session_factory, token, after_s=0) == curator_login
    assert _found_login(session_factory, token, after_s=TTL_S - 1) == curator_login
    assert _found_login(session_factory, token, after_s=TTL_S) is None


def test_only_the_token_hash_is_stored_and_each_session_has_its_own_csrf_token(
    session_factory: sessionmaker[Session], curator_login: str
) -> None:
    tokens = [_open(session_factory, curator_login) for _ in range(2)]
    with session_factory() as session:
        rows = session.scalars(select(WebSession).order_by(WebSession.id)).all()
        stored = [(row.token_hash, row.csrf_token) for row in rows]
    assert len(stored) == 2
    assert all(len(token) >= 43 for token in tokens)  # 32 random bytes, base64url
    assert not {hash_ for hash_, _ in stored} & set(tokens)
    assert all(len(hash_) == 64 for hash_, _ in stored)
    assert stored[0][1] != stored[1][1]


@pytest.mark.parametrize("token", ["", "made-up", "x" * 500])
def test_an_unknown_token_opens_nothing(
    session_factory: sessionmaker[Session], curator_login: str, token: str
) -> None:
    _open(session_factory, curator_login)
    assert _found_login(session_factory, token, after_s=0) is None


def test_an_ended_session_stays_ended(
    session_factory: sessionmaker[Session], curator_login: str
) -> None:
    token, other = _open(session_factory, curator_login), _open(session_factory, curator_login)
    with session_factory.begin() as session:
        end_session(session, token, now=NOW)
        end_session(session, token, now=NOW + timedelta(seconds=5))  # twice is harmless
        end_session(session, "unknown", now=NOW)
    assert _found_login(session_factory, token, after_s=1) is None
    assert _found_login(session_factory, other, after_s=1) == curator_login
    with session_factory() as session:
        ended = session.scalars(select(WebSession.ended_at).where(WebSession.ended_at.is_not(None)))
        assert list(ended) == [NOW]


def test_disabling_the_account_closes_its_sessions(
    session_factory: sessionmaker[Session], curator_login: str
) -> None:
    token = _open(session_factory, curator_login)
    with session_factory.begin() as session:
        disable_person(session, curator_login)
    assert _found_login(session_factory, token, after_s=0) is None
