"""The fault suite's rig: 2 API and 2 worker processes sharing one private PostgreSQL
cluster and one private Redis, started once for the package (each test checks only
its own messages, so they can share it). Its PKI is RSA; a module that also runs on GOST
parametrises ``fault_rig`` with the crypto (``indirect=True``), which starts a second rig."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from signing import Crypto, GostUnavailable
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


@pytest.fixture(scope="package", params=["rsa"])
def fault_rig(
    request: pytest.FixtureRequest,
    private_postgres: PrivatePostgres,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Rig]:
    crypto: Crypto = request.param
    options = RigOptions(
        data_dir=Path(tmp_path_factory.mktemp(f"fault-rig-{crypto}")),
        database_url=private_postgres.url,
        apis=2,
        workers=2,
        crypto=crypto,
    )
    try:
        rig = Rig(options).start()
    except GostUnavailable as exc:
        require_service("OpenSSL's GOST engine", exc)
    with rig:
        yield rig
