"""Fixtures shared by the whole suite: data folder, databases, Redis, RabbitMQ.

Real services only. Locally a missing PostgreSQL or Redis skips the tests that
need it; with ``CI`` set it fails them, so CI can never go green by skipping.
"""

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

import hub.partners
import hub.people.passwords
import signing.pki
from hub.config import Settings
from hub.ingest import Ingestor, build_ingestor
from hub.partners import register_partner
from hub.store import DeliveryMode, make_engine, make_session_factory
from signing import Crypto, DevPki, GostUnavailable, KeyAlgorithm
from signing.gost import streebog
from tests.databases import PostgresTemplate, SqliteTemplate, postgres_schema_url
from tests.factories import Signers
from tests.made_once import CHEAP_ARGON2, ReusedKeys
from tests.smtp import Inbox, start_inbox
from tests.stack import RunningHub, fast_settings, running_hub

# The CLI's rich consoles (hub.cli.common) fix their width from COLUMNS when first
# imported, and xdist starts its processes with COLUMNS=80: the tests that read the CLI's
# tables want them whole, whichever process or test imports the CLI first.
os.environ["COLUMNS"] = "200"

POSTGRES_URL = os.environ.get(
    "HUB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session", autouse=True)
def _keys_and_hashes_made_once() -> Iterator[None]:
    """RSA keys reused and argon2 at its cheapest in this test process (tests/made_once.py
    says why and what it saves); the hub's own processes are untouched."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(signing.pki, "_new_key", ReusedKeys(signing.pki._new_key))
        patch.setattr(hub.partners, "_HASHER", CHEAP_ARGON2)
        patch.setattr(hub.people.passwords, "_HASHER", CHEAP_ARGON2)
        yield


@pytest.fixture
def argon2_as_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hashers with the parameters the hub's processes use, for the tests of them."""
    monkeypatch.setattr(hub.partners, "_HASHER", PRODUCTION_HASHERS["partners"])
    monkeypatch.setattr(hub.people.passwords, "_HASHER", PRODUCTION_HASHERS["passwords"])


#: The hashers as the modules made them, before ``_keys_and_hashes_made_once``.
PRODUCTION_HASHERS = {
    "partners": hub.partners._HASHER,
    "passwords": hub.people.passwords._HASHER,
}


def _redis_url_of_this_process() -> str:
    """``HUB_TEST_REDIS_URL`` (default db 15); xdist's worker N takes the database N below it.

    Each test flushes its database, so two processes must never share one.
    """
    url = os.environ.get("HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    if worker == 0:
        return url
    base, _, database = url.rpartition("/")
    if not database.isdigit() or int(database) < worker:
        raise ValueError(f"HUB_TEST_REDIS_URL must end in a database of {worker} or more: {url}")
    return f"{base}/{int(database) - worker}"


REDIS_URL = _redis_url_of_this_process()
#: The machine's RabbitMQ, without a virtual host: each test gets its own.
RABBITMQ_URL = os.environ.get("HUB_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672")


def require_service(name: str, error: Exception) -> None:
    """Skip locally, fail in CI: a missing service must never turn CI green."""
    if os.environ.get("CI"):
        pytest.fail(f"{name} is required in CI and is not reachable: {error}")
    pytest.skip(f"{name} not reachable: {error}")


@pytest.fixture(scope="session")
def gost_engine() -> None:
    """Skip locally, fail in CI, when the system OpenSSL has no GOST engine (``make test``
    installs it)."""
    try:
        streebog(b"", 256)
    except GostUnavailable as exc:
        require_service("OpenSSL's GOST engine", exc)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "var"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def postgres_admin_engine() -> Iterator[Engine]:
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any connect failure means the service is missing
        engine.dispose()
        require_service("PostgreSQL", exc)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    """This process's migrated SQLite file (tests/databases.py)."""
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_engine: Engine) -> Iterator[PostgresTemplate]:
    """This process's migrated PostgreSQL schemas (tests/databases.py)."""
    template = PostgresTemplate(postgres_admin_engine, POSTGRES_URL)
    yield template
    template.drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, data_dir: Path) -> str:
    """A database of each kind, migrated to head and holding nothing of another test:
    SQLite under the data folder, PostgreSQL in a schema of this process's own."""
    if request.param == "sqlite":
        template: SqliteTemplate = request.getfixturevalue("sqlite_template")
        return template.copy_to(data_dir / "hub.db")
    postgres: PostgresTemplate = request.getfixturevalue("postgres_template")
    return postgres.reset()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[str]:
    """An empty database of each kind, for tests that migrate it themselves."""
    if request.param == "sqlite":
        yield f"sqlite:///{data_dir / 'hub.db'}"
        return
    admin: Engine = request.getfixturevalue("postgres_admin_engine")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield postgres_schema_url(POSTGRES_URL, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def redis_url() -> str:
    """The machine's Redis (db 15, or one per xdist process), flushed before each test."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        require_service("Redis", exc)
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def rabbitmq_url() -> Iterator[str]:
    """The machine's RabbitMQ in a virtual host of this test's own, deleted after.

    Other runs use the same server at the same time; a private vhost keeps their
    queues and messages apart (``rabbitmqctl`` needs root on this machine).
    """
    vhost = f"t_{uuid.uuid4().hex[:12]}"
    try:
        _rabbitmqctl("add_vhost", vhost)
    except (OSError, subprocess.CalledProcessError) as exc:
        require_service("RabbitMQ", exc)
    try:
        _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield f"{RABBITMQ_URL}/{vhost}"
    finally:
        _rabbitmqctl("delete_vhost", vhost)


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "--quiet", *args], check=True, capture_output=True)


# --- The hub's own parts: PKI, partners, ingest ---------------------------------------

PARTNERS = {
    "police": "ОМВД России по г. Петропавловску-Камчатскому",
    "social": "КГАУ СЗ «Камчатский комплексный центр социального обслуживания населения»",
    "kdn": "Комиссия по делам несовершеннолетних и защите их прав",
    "health": "ГБУЗ «Камчатский краевой родильный дом»",
    "education": "МАОУ «Средняя школа № 3»",
    "employment": "КГКУ «Центр занятости населения города Петропавловска-Камчатского»",
}


def make_dev_pki(
    root: Path, crypto: Crypto, systems: Mapping[str, tuple[str, KeyAlgorithm | None]]
) -> DevPki:
    """A dev PKI of ``crypto`` under ``root`` with the hub and ``systems`` issued.

    ``systems``: code -> (organisation, key algorithm, None for the PKI's default). A GOST
    PKI is skipped locally (failed in CI) where OpenSSL's GOST engine is missing.
    """
    pki = DevPki(root)
    try:
        pki.init(crypto)
        for code, (organisation, algorithm) in systems.items():
            pki.issue(code, organisation, algorithm=algorithm)
    except GostUnavailable as exc:
        require_service("OpenSSL's GOST engine", exc)
    return pki


def make_partners_pki(root: Path, crypto: Crypto = "rsa") -> DevPki:
    """A dev PKI of ``crypto`` with every partner of ``PARTNERS`` on the PKI's default key."""
    return make_dev_pki(root, crypto, {code: (name, None) for code, name in PARTNERS.items()})


@pytest.fixture(scope="session")
def session_pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    """One dev PKI for the run (keys are slow to make): the CA, the hub and the partners."""
    return make_partners_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def pki(session_pki: DevPki, data_dir: Path) -> DevPki:
    """The run's PKI copied under this test's data folder, so a test may revoke or re-issue."""
    shutil.copytree(session_pki.root, data_dir / "pki")
    return DevPki(data_dir / "pki")


@pytest.fixture(scope="session")
def signers(session_pki: DevPki) -> Signers:
    return Signers(session_pki)


@pytest.fixture
def settings(data_dir: Path, database_url: str, pki: DevPki) -> Settings:
    return Settings(data_dir=data_dir, database_url=database_url)


@pytest.fixture
def partners(session_factory: sessionmaker[Session]) -> dict[str, str]:
    """The six partners registered (police pulls, the others are pushed to); their API keys."""
    return register_partners(session_factory)


def register_partners(session_factory: sessionmaker[Session]) -> dict[str, str]:
    """Register the six partners (police pulls, the others are pushed to); their API keys."""
    keys = {}
    with session_factory.begin() as session:
        for code, organisation in PARTNERS.items():
            push = code != "police"
            _, key = register_partner(
                session,
                code=code,
                organisation=organisation,
                adapter=code,
                delivery_mode=DeliveryMode.PUSH if push else DeliveryMode.PULL,
                endpoint="http://127.0.0.1:9" if push else None,
                now=datetime.now(UTC),
            )
            keys[code] = key.secret_key
    return keys


@dataclass
class Enqueued:
    """What ingest handed to the queue after commit: the (recipient, priority) of each push
    row, the partners' lanes to wake."""

    rows: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, rows: Sequence[tuple[str, str]]) -> None:
        self.rows.extend(rows)


@pytest.fixture
def enqueued() -> Enqueued:
    return Enqueued()


@pytest.fixture
def ingestor(
    settings: Settings,
    session_factory: sessionmaker[Session],
    partners: dict[str, str],
    enqueued: Enqueued,
) -> Ingestor:
    return build_ingestor(
        settings, session_factory, clock=lambda: datetime.now(UTC), on_committed=enqueued
    )


@pytest.fixture
def hub_api(data_dir: Path, database_url: str, redis_url: str, pki: DevPki) -> Iterator[RunningHub]:
    """The hub's API on a real server (no worker, no simulators)."""
    with running_hub(
        fast_settings(data_dir, database_url, redis_url), pki, worker=False, simulators=False
    ) as running:
        yield running


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1 at a free port; ``messages`` holds what it received."""
    with start_inbox() as received:
        yield received
