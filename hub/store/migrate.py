"""Schema migrations with Alembic: ``hub db upgrade`` and the test fixtures both run these."""

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that runs the packaged migrations on ``engine``."""
    config = Config()
    config.set_main_option("script_location", "hub.store:migrations")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database up to ``revision``; safe to run on every start."""
    command.upgrade(alembic_config(engine), revision)
