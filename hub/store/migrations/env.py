"""Alembic environment: migrations run on the engine handed over by ``hub.store.migrate``."""

from alembic import context
from sqlalchemy import Engine

from hub.store.base import Base

engine = context.config.attributes["engine"]
assert isinstance(engine, Engine), "run migrations through hub.store.migrate"

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
