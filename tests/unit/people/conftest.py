"""Accounts for the people tests, in a real database of each kind."""

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hub.cases.scope import Role
from hub.people import add_person
from tests.unit.people.people_data import NOW, PASSWORD


@pytest.fixture
def curator_login(session_factory: sessionmaker[Session]) -> str:
    """An active curator of the social centre in Kamchatka, with password ``PASSWORD``."""
    with session_factory.begin() as session:
        add_person(
            session,
            login="ivanova",
            display_name="Иванова Анна Петровна",
            role=Role.CURATOR,
            region="kamchatka",
            agency="social",
            password=PASSWORD,
            now=NOW,
        )
    return "ivanova"
