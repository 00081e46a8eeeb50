"""The hostile suite runs on SQLite only (fast); the refusals happen before any SQL dialect matters.

The trust store looks at its CRL on every message, so a revocation made by a case takes
effect at once.
"""

from pathlib import Path

import pytest

from hub.config import Settings
from signing import DevPki
from tests.databases import SqliteTemplate


@pytest.fixture
def database_url(data_dir: Path, sqlite_template: SqliteTemplate) -> str:
    return sqlite_template.copy_to(data_dir / "hub.db")


@pytest.fixture
def settings(data_dir: Path, database_url: str, pki: DevPki) -> Settings:
    return Settings(data_dir=data_dir, database_url=database_url, crl_recheck_s=0)
