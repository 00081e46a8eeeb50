"""The tests' migrated databases (tests/databases.py): a copy per test that holds nothing
of the test before, as migrations leave it."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from hub.partners import register_partner
from hub.store import ChainHead, DeliveryMode, Partner, make_engine
from tests.databases import PostgresTemplate


def _register(session_factory: sessionmaker[Session], code: str) -> int:
    with session_factory.begin() as session:
        partner, _ = register_partner(
            session,
            code=code,
            organisation="Организация",
            adapter="police",
            delivery_mode=DeliveryMode.PULL,
            endpoint=None,
            now=datetime.now(UTC),
        )
        return partner.id


def _heads(session_factory: sessionmaker[Session]) -> list[tuple[int, str, int]]:
    with session_factory() as session:
        return [(h.id, h.last_hash, h.length) for h in session.scalars(select(ChainHead))]


def test_each_test_gets_the_schema_the_migrations_leave(
    session_factory: sessionmaker[Session],
) -> None:
    # The rows the migrations seed, and nothing else
    assert _heads(session_factory) == [(1, "0" * 64, 0)]
    with session_factory() as session:
        assert session.scalars(select(Partner)).all() == []
    assert _register(session_factory, "police") == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_reset_empties_the_tables_refills_the_seeded_ones_and_restarts_the_ids(
    database_url: str, postgres_template: PostgresTemplate, session_factory: sessionmaker[Session]
) -> None:
    # Given a test's rows, and the seeded chain head changed
    _register(session_factory, "police")
    _register(session_factory, "social")
    with session_factory.begin() as session:
        session.get_one(ChainHead, 1).length = 7

    # When the schema is reset for the next test
    assert postgres_template.reset() == database_url

    # Then it is as migrated: no partner, the seeded head as it was, ids from 1 again
    with session_factory() as session:
        assert session.scalars(select(Partner)).all() == []
    assert _heads(session_factory) == [(1, "0" * 64, 0)]
    assert _register(session_factory, "kdn") == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_connection_an_earlier_test_left_in_a_transaction_is_ended(
    database_url: str, postgres_template: PostgresTemplate, engine: Engine
) -> None:
    # Given a connection left open in a transaction holding a lock on a table
    left = make_engine(database_url)
    try:
        with left.connect() as connection:
            connection.execute(text("LOCK TABLE partner IN ACCESS EXCLUSIVE MODE"))

            # When the schema is reset, it does not wait for that connection
            postgres_template.reset()

            # Then the connection was ended: it can do nothing more in the next test's rows
            with pytest.raises(OperationalError):
                connection.execute(text("SELECT count(*) FROM partner"))
    finally:
        left.dispose()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM partner")).scalar() == 0
