"""The fault suite's rig: 2 API and 2 worker processes sharing one private PostgreSQL
cluster and one private Redis, started once for the package (each test checks only
its own messages, so they can share it)."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require_service
from tooling.rig import Rig, RigOptions
from tooling.rig.postgres import PG_BIN_DIR, PrivatePostgres


@pytest.fixture(scope="package")
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of the suite's own: the faults stop and crash it."""
    if shutil.which("initdb", path=str(PG_BIN_DIR)) is None:
        require_service("PostgreSQL's initdb", FileNotFoundError(PG_BIN_DIR / "initdb"))
    with PrivatePostgres() as postgres:
        yield postgres


@pytest.fixture(scope="package")
def fault_rig(
    private_postgres: PrivatePostgres, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Rig]:
    options = RigOptions(
        data_dir=Path(tmp_path_factory.mktemp("fault-rig")),
        database_url=private_postgres.url,
        apis=2,
        workers=2,
    )
    with Rig(options).start() as rig:
        yield rig
