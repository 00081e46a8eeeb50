"""``hub backup`` and ``hub restore``: a restored hub has an intact log and delivers what was
pending, once; a wrong key or an altered backup restores nothing.

Real parts: signed referrals through the ingest pipeline, SQLite's online backup or
pg_dump/pg_restore on the machine's PostgreSQL, the sealed file, the delivery actors on
dramatiq's StubBroker with in-memory partners behind the real transport resolver.
"""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from adapters.base import Adapter, InMemoryTransport, Transport
from hub.alerts.rules import DEFAULT_RULES_FILE as DEFAULT_ALERT_RULES
from hub.backup import BACKUP_FILE
from hub.cli import app
from hub.config import Settings
from hub.ingest import Ingestor
from hub.operations import Actor, pause_partner, resume_partner
from hub.store import DeliveryStatus, OutboxDelivery, make_engine, make_session_factory
from queues import (
    PartnerTransports,
    RetryPolicy,
    build_broker,
    deliver_batch,
    lane_for,
    wake_stuck_lanes,
)
from schemas import read_header
from signing import DevPki
from tests.conftest import PARTNERS, POSTGRES_URL
from tests.factories import Signers, make_envelope
from tests.integration.queues.queue_helpers import make_context, start_worker

ADMIN = Actor(login="admin", role="administrator")
PASSPHRASE = "a passphrase long enough"
#: A database of the test server that restores land in; each in the schema it was dumped
#: from (one per test process), dropped after. Made once and kept: DROP DATABASE forces a
#: checkpoint that takes many seconds on the shared server.
RESTORE_DATABASE = "hub_restore_test"


class Partners:
    """In-memory partners behind the real ``PartnerTransports`` of one database."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.systems = {code: InMemoryTransport() for code in PARTNERS}
        adapters = {
            code: Adapter(code=code, delivery_mode="push", make_transport=self._maker(code))
            for code in PARTNERS
        }
        self.resolver = PartnerTransports(session_factory, adapters, timeout_s=5.0)

    def _maker(self, code: str) -> Callable[[str, float], Transport]:
        return lambda _endpoint, _timeout: self.systems[code]

    def received(self) -> list[tuple[str, str]]:
        return sorted(
            (code, message.message_id)
            for code, system in self.systems.items()
            for message in system.delivered
        )


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file()
    }


def _cli(*arguments: str, env: dict[str, str]) -> Result:
    return CliRunner().invoke(app, list(arguments), env=env)


def _rows(session_factory: sessionmaker[Session]) -> list[OutboxDelivery]:
    with session_factory() as session:
        rows = session.scalars(select(OutboxDelivery).order_by(OutboxDelivery.id)).all()
        for row in rows:
            row.message  # noqa: B018 — loaded before the session closes
        return list(rows)


@pytest.fixture
def restore_url(database_url: str) -> Iterator[str | None]:
    """Where a restore of ``database_url`` goes: None for SQLite (the data folder), else
    the dumped schema's name in ``RESTORE_DATABASE``."""
    if not database_url.startswith("postgresql"):
        yield None
        return
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(
            text("SELECT count(*) FROM pg_database WHERE datname = :d"), {"d": RESTORE_DATABASE}
        ):
            connection.execute(text(f'CREATE DATABASE "{RESTORE_DATABASE}"'))
    admin.dispose()
    schema = str(make_url(database_url).query["options"]).removeprefix("-csearch_path=")
    target = make_url(POSTGRES_URL).set(database=RESTORE_DATABASE)
    creator = create_engine(target, isolation_level="AUTOCOMMIT")
    with creator.connect() as connection:
        # There already and empty, as ``public`` is in a new database: pg_restore must not
        # stumble on the dump's CREATE SCHEMA.
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    creator.dispose()
    url = target.render_as_string(hide_password=False) + f"?options=-csearch_path%3D{schema}"
    yield url
    cleanup = create_engine(target, isolation_level="AUTOCOMMIT")
    with cleanup.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    cleanup.dispose()


def test_a_restored_hub_verifies_its_log_and_delivers_what_was_pending_once(
    settings: Settings,
    database_url: str,
    restore_url: str | None,
    session_factory: sessionmaker[Session],
    partners: dict[str, str],
    ingestor: Ingestor,
    signers: Signers,
    tmp_path: Path,
) -> None:
    # Given four referrals from the police (each to social and kdn): the first two
    # delivered, then social paused, so the last two's copies are pending
    referrals = [make_envelope(sender="police") for _ in range(4)]
    for referral in referrals:
        ingestor.ingest(signers.sign(referral), authenticated="police")
    before = Partners(session_factory)
    rows = _rows(session_factory)
    now = datetime.now(UTC)
    first_two = {read_header(referral).message_id for referral in referrals[:2]}
    [lane] = {lane_for(row.priority) for row in rows}  # the example referral's: urgent
    for recipient in ("social", "kdn"):
        # A batch of two takes each partner's two oldest rows: the first two referrals'.
        report = deliver_batch(
            session_factory,
            recipient,
            lane,
            transports=before.resolver,
            now=lambda: now,
            lease_s=30,
            batch_size=2,
            retry=RetryPolicy(max_attempts=4, min_backoff_ms=1, max_backoff_ms=1000),
        )
        assert report.count("delivered") == 2
    with session_factory.begin() as session:
        pause_partner(session, "social", actor=ADMIN, reason="backup drill", now=now)
    delivered = before.received()
    pending = sorted(
        (r.recipient, r.message.message_id) for r in rows if r.message.message_id not in first_two
    )
    assert delivered == sorted(
        (r.recipient, r.message.message_id) for r in rows if r.message.message_id in first_two
    )
    assert len(delivered) == len(pending) == 4

    # (a partner's bundle as onboarding leaves it, for the backup to carry)
    (settings.data_dir / "partners" / "social").mkdir(parents=True)
    (settings.data_dir / "partners" / "social" / "api-key").write_bytes(b"the bundle's key")

    # (and a signed checkpoint of the chain, a row and a file, for the backup to carry)
    env = {"HUB_DATA_DIR": str(settings.data_dir), "HUB_BACKUP_PASSPHRASE": PASSPHRASE}
    if database_url.startswith("postgresql"):
        env["DATABASE_URL"] = database_url
    checkpointed = _cli("verify-log", "--checkpoint", env=env)
    assert checkpointed.exit_code == 0, checkpointed.output

    # When it is backed up while running, and restored into a new folder
    backed_up = _cli("backup", str(tmp_path / "backup"), env=env)
    assert backed_up.exit_code == 0, backed_up.output
    new = tmp_path / "restored"
    restore_env = {"HUB_BACKUP_PASSPHRASE": PASSPHRASE}
    if restore_url is not None:
        restore_env["DATABASE_URL"] = restore_url
    restored = _cli("restore", str(tmp_path / "backup"), "--data-dir", str(new), env=restore_env)

    # Then its log is intact, its keys and bundles are there
    assert restored.exit_code == 0, restored.output
    assert "intact: 4 message(s), every link verified" in restored.output
    for folder in ("pki", "partners", "checkpoints"):
        assert _tree(new / folder) == _tree(settings.data_dir / folder)
    assert len(_tree(new / "checkpoints")) == 1
    assert _tree(new / "partners") == {"social/api-key": b"the bundle's key"}
    assert (new / "rules" / "routing.yaml").is_file()
    assert (new / "rules" / "alerts.yaml").read_bytes() == DEFAULT_ALERT_RULES.read_bytes()
    if restore_url is not None:
        again = _cli(
            "restore",
            str(tmp_path / "backup"),
            "--data-dir",
            str(tmp_path / "again"),
            env=restore_env,
        )
        assert again.exit_code == 1
        assert "already holds" in again.output

    # …and once social is resumed, a worker delivers each pending copy once, and none
    # of those delivered before the backup
    engine = make_engine(restore_url or f"sqlite:///{new / 'hub.db'}")
    restored_sessions = make_session_factory(engine)
    with restored_sessions.begin() as session:
        resume_partner(session, "social", actor=ADMIN, reason="restored", now=now)
    after = Partners(restored_sessions)
    broker, _ = build_broker("stub://", data_dir=new)
    worker = start_worker(broker, make_context(restored_sessions, after.resolver))
    worker.worker.start()
    try:
        woken: list[int] = []
        for _ in range(2):  # a second sweep finds nothing left to wake
            with restored_sessions() as session:
                woken.append(
                    wake_stuck_lanes(
                        session,
                        now=now + timedelta(minutes=10),
                        stuck_after_s=60,
                        wake=worker.actors.wake,
                    )
                )
            worker.drain()
        statuses = {row.status for row in _rows(restored_sessions)}
    finally:
        worker.worker.stop()
        broker.close()
        after.resolver.close()
        before.resolver.close()
        engine.dispose()
    assert woken == [2, 0]  # social's lane and kdn's, then none
    assert after.received() == pending
    assert statuses == {DeliveryStatus.DELIVERED}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_wrong_key_or_an_altered_backup_restores_nothing(
    settings: Settings, partners: dict[str, str], pki: DevPki, tmp_path: Path
) -> None:
    # Given a backup sealed to a recipient's certificate (the dev PKI's kdn, RSA)
    recipient, stranger = pki.credentials("kdn"), pki.credentials("social")
    cert_file, key_file, other_key = recipient.cert_path, recipient.key_path, stranger.key_path
    data = {"HUB_DATA_DIR": str(settings.data_dir)}
    made = _cli("backup", str(tmp_path / "backup"), "--to-certificate", str(cert_file), env=data)
    assert made.exit_code == 0, made.output
    sealed = tmp_path / "backup" / BACKUP_FILE
    new = tmp_path / "restored"

    def restore(*key: str) -> Result:
        return _cli("restore", str(tmp_path / "backup"), "--data-dir", str(new), *key, env={})

    # When it is opened with the wrong key, a passphrase, or after a change: one line, exit 1
    failures = {
        "another key": restore("--key", str(other_key)),
        "passphrase": _cli(
            "restore",
            str(tmp_path / "backup"),
            "--data-dir",
            str(new),
            env={"HUB_BACKUP_PASSPHRASE": PASSPHRASE},
        ),
    }
    original = sealed.read_bytes()
    sealed.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    failures["altered"] = restore("--key", str(key_file))
    sealed.write_bytes(original[: len(original) // 2])
    failures["truncated"] = restore("--key", str(key_file))
    sealed.write_bytes(original)
    new.mkdir()
    (new / "hub.db").write_bytes(b"someone's data")
    failures["non-empty target"] = restore("--key", str(key_file))

    # Then each names its cause on one line, and nothing was restored
    for case, result in failures.items():
        assert result.exit_code == 1, case
        assert len(result.output.strip().splitlines()) == 1, (case, result.output)
    assert "another certificate" in failures["another key"].output
    assert "not with a passphrase" in failures["passphrase"].output
    assert "altered" in failures["altered"].output
    assert "altered or cut" in failures["truncated"].output
    assert "not an empty folder" in failures["non-empty target"].output
    assert [p.name for p in new.iterdir()] == ["hub.db"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".hub-backup-")]
