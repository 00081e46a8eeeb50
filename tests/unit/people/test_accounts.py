"""Accounts are validated once, at creation: login format, scope by role, password length."""

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hub.cases.scope import Role
from hub.errors import NotFound
from hub.people import PersonInvalid, add_person, disable_person, find_person, list_people
from hub.store import Person
from tests.unit.people.people_data import NOW


def _add(
    session: Session,
    *,
    login: str = "petrov",
    display_name: str = "Петров Иван",
    role: Role = Role.OFFICER,
    region: str | None = "kamchatka",
    agency: str | None = "health",
    password: str = "достаточно-длинный",
) -> Person:
    """An officer of the health agency, unless a test changes a field."""
    return add_person(
        session,
        login=login,
        display_name=display_name,
        role=role,
        region=region,
        agency=agency,
        password=password,
        now=NOW,
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"login": "Petrov"}, "login_format"),
        ({"login": "pe"}, "login_format"),
        ({"login": "петров"}, "login_format"),
        ({"login": "petrov ivan"}, "login_format"),
        ({"login": "p" * 65}, "login_format"),
        ({"display_name": "  "}, "name_required"),
        ({"region": None}, "region_required"),
        ({"role": Role.SUPERVISOR, "region": None}, "region_required"),
        ({"region": "Камчатка"}, "region_format"),
        ({"agency": None}, "agency_required"),
        ({"role": Role.CURATOR, "agency": None}, "agency_required"),
        ({"agency": "Health Dept"}, "agency_format"),
        ({"password": "короткий-11"}, "password_too_short"),
    ],
)
def test_an_invalid_account_is_refused_with_its_reason(
    session_factory: sessionmaker[Session], change: dict[str, Any], reason: str
) -> None:
    with session_factory() as session, pytest.raises(PersonInvalid) as caught:
        _add(session, **change)
    assert caught.value.reason == reason
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == reason  # the reason only: never the input itself


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"role": Role.ADMINISTRATOR, "region": None, "agency": None},
        {"role": Role.OBSERVER, "region": None, "agency": None},
        {"role": Role.OPERATOR, "region": None, "agency": None},
        {"role": Role.AUDITOR, "region": None, "agency": None},
        {"role": Role.SUPERVISOR, "agency": None},
        {"login": "a.b-c_1", "password": "x" * 12},
    ],
)
def test_a_valid_account_is_created_active_with_a_hashed_password(
    session_factory: sessionmaker[Session], change: dict[str, Any]
) -> None:
    with session_factory.begin() as session:
        created = _add(session, **change)
        login, password = created.login, change.get("password", "достаточно-длинный")
    with session_factory() as session:
        person = find_person(session, login)
        assert person is not None
        assert person.active
        assert person.role == change.get("role", Role.OFFICER).value
        assert person.password_hash.startswith("$argon2id$")
        assert password not in person.password_hash


def test_a_login_is_taken_once(session_factory: sessionmaker[Session], curator_login: str) -> None:
    with session_factory() as session, pytest.raises(PersonInvalid) as caught:
        _add(session, login=curator_login)
    assert caught.value.reason == "login_taken"


def test_people_are_listed_by_login_and_can_be_disabled(
    session_factory: sessionmaker[Session], curator_login: str
) -> None:
    with session_factory.begin() as session:
        _add(session, login="abramov")
        disable_person(session, curator_login)
    with session_factory() as session:
        people = list_people(session)
    assert [(p.login, p.active) for p in people] == [("abramov", True), (curator_login, False)]


def test_disabling_an_unknown_login_is_not_found(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session, pytest.raises(NotFound):
        disable_person(session, "nobody")
