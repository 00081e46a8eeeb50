"""The migrations build exactly the schema the models describe, on every backend."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from hub.store import Base, ChainHead
from hub.store.migrate import upgrade


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent_and_seeds_the_chain(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    upgrade(engine)  # the fixture already upgraded once
    with session_factory() as session:
        heads = session.scalars(select(ChainHead)).all()
    assert [(h.id, h.last_hash, h.length) for h in heads] == [(1, "0" * 64, 0)]
