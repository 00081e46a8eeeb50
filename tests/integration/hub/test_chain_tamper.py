"""Every edit of a logged message is named: each covered column, the bytes, the links, a
value of the wrong type — by ``verify_chain`` and by ``hub verify-log``, which never crashes —
and a consistent rewrite of the tail is caught against the hub's signed checkpoints.

Given three messages accepted through the real signed ingest, with a checkpoint signed after
the first and after the third, a tamperer edits the middle one with raw SQL (as ``sqlite3``
or ``psql`` would); the walk must name that row and what was changed.
"""

import shutil
import subprocess
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub.checkpoints import run_checkpoints
from hub.cli import app
from hub.config import Settings
from hub.ingest import (
    CHAIN_VERSION,
    GENESIS_HASH,
    LINK_COLUMNS,
    Ingestor,
    LinkInputInvalid,
    build_ingestor,
    check_log,
    checkpoint_folder,
    checkpoint_verifier,
    expected_link,
    hub_signer,
    link_values,
    make_checkpoint,
    open_pki,
    verify_chain,
)
from hub.store import (
    CaseReferral,
    ChainCheckpoint,
    ChainHead,
    MessageLog,
    OutboxDelivery,
    make_engine,
    make_session_factory,
)
from signing import DevPki
from tests.conftest import make_dev_pki, register_partners, require_service
from tests.databases import PostgresTemplate, SqliteTemplate
from tests.factories import Signers, make_envelope

#: The edits both databases accept: column → (SET clause, words the verdict must hold).
#: Timestamps move by SQL arithmetic on PostgreSQL, by text on SQLite (see _set_clause).
TAMPERS: dict[str, tuple[str, str]] = {
    "message_id": ("message_id = '00000000-0000-4000-8000-000000000000'", "message_id"),
    "sender": ("sender = 'kdn'", "sender differs"),
    "message_type": ("message_type = 'SurveyAct'", "message_type differs"),
    "schema_version": ("schema_version = '1.1'", "schema_version differs"),
    "priority": ("priority = 'x'", "priority differs"),
    "case_ref": ("case_ref = 'KAM-999'", "case_ref differs"),
    "correlation_id": (
        "correlation_id = '00000000-0000-4000-8000-000000000001'",
        "correlation_id differs",
    ),
    "created_at": ("created_at = {earlier}", "created_at differs"),
    "received_at": ("received_at = {earlier}", "received_at"),
    "signer_fingerprint": (f"signer_fingerprint = '{'a' * 64}'", "signer_fingerprint differs"),
    "sha256": (f"sha256 = '{'b' * 64}'", "raw does not match sha256"),
    "raw": ("raw = {bytes_edit}", "raw"),
    "prev_hash": (f"prev_hash = '{'c' * 64}'", "prev_hash is not"),
    "chain_hash": (f"chain_hash = '{'d' * 64}'", "chain_hash was altered"),
    "chain_version": ("chain_version = 1", "chain_version was altered"),
}
#: What only SQLite lets through: values of another type than the column's.
WRONG_TYPES: dict[str, tuple[str, str]] = {
    "raw as text": ("raw = replace(raw, 'police', 'kdn')", "raw holds str, not bytes"),
    "received_at as bytes": ("received_at = X'00'", "received_at holds bytes"),
    "created_at not a time": ("created_at = 'yesterday'", "created_at is not a timestamp"),
    # A number in a text column becomes text (SQLite's type affinity); bytes stay bytes.
    "sender as bytes": ("sender = X'6b646e'", "sender holds bytes"),
    "chain_version as text": ("chain_version = 'two'", "chain_version is 'two'"),
    "case_ref as bytes": ("case_ref = X'4b414d'", "case_ref holds bytes"),
}
_DIALECT_SQL = {
    "sqlite": {
        "earlier": "'2020-01-01 00:00:00.000000'",
        "bytes_edit": "CAST(replace(raw, 'police', 'kdn') AS BLOB)",
    },
    "postgresql": {
        "earlier": "{column} - interval '1 second'",
        "bytes_edit": "overlay(raw placing '\\x20'::bytea from 60 for 1)",
    },
}


@pytest.fixture(scope="module")
def sqlite_log(
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: SqliteTemplate,
    session_pki: DevPki,
    signers: Signers,
) -> tuple[Path, list[int]]:
    """One SQLite log of three accepted referrals for the whole module (ingest's setup is
    the slow part); each test edits its own copy."""
    data_dir = tmp_path_factory.mktemp("chain-log")
    shutil.copytree(session_pki.root, data_dir / "pki")
    url = sqlite_template.copy_to(data_dir / "hub.db")
    engine = make_engine(url)
    try:
        session_factory = make_session_factory(engine)
        register_partners(session_factory)
        settings = Settings(data_dir=data_dir, database_url=url)
        ingestor = build_ingestor(
            settings,
            session_factory,
            clock=lambda: datetime.now(UTC),
            on_committed=lambda _rows: None,
        )
        ids = _log_three(ingestor, signers, _checkpointer(settings, session_factory))
    finally:
        engine.dispose()  # checkpoints SQLite's WAL: the file alone is the database
    return data_dir / "hub.db", ids


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, data_dir: Path) -> str:
    """The module's SQLite log copied for this test, or this process's PostgreSQL schema."""
    if request.param == "sqlite":
        path, _ = request.getfixturevalue("sqlite_log")
        shutil.copyfile(path, data_dir / "hub.db")
        return f"sqlite:///{data_dir / 'hub.db'}"
    postgres: PostgresTemplate = request.getfixturevalue("postgres_template")
    return postgres.reset()


@pytest.fixture
def logged(request: pytest.FixtureRequest, database_url: str) -> list[int]:
    """Three accepted referrals in this test's database; their log ids."""
    if database_url.startswith("sqlite"):
        ids: list[int] = request.getfixturevalue("sqlite_log")[1]
        return ids
    checkpoint = _checkpointer(
        request.getfixturevalue("settings"), request.getfixturevalue("session_factory")
    )
    return _log_three(
        request.getfixturevalue("ingestor"), request.getfixturevalue("signers"), checkpoint
    )


def _checkpointer(
    settings: Settings, session_factory: sessionmaker[Session]
) -> Callable[[], object]:
    signer = hub_signer(settings, open_pki(settings))
    folder = checkpoint_folder(settings.data_dir)
    return lambda: make_checkpoint(session_factory, signer, folder, now=datetime.now(UTC))


def _log_three(ingestor: Ingestor, signers: Signers, checkpoint: Callable[[], object]) -> list[int]:
    """Three referrals, with a signed checkpoint after the first and after the third."""
    ids = []
    for n in range(3):
        envelope = make_envelope(sender="police")
        ids.append(ingestor.ingest(signers.sign(envelope), authenticated="police").hub_id)
        if n in (0, 2):
            checkpoint()
    return ids


def _tamper(session_factory: sessionmaker[Session], hub_id: int, set_clause: str) -> None:
    with session_factory.begin() as session:
        dialect = session.get_bind().dialect.name
        column = set_clause.split(" = ")[0]
        sql = set_clause.format(**_DIALECT_SQL[dialect]).format(column=column)
        session.execute(text(f"UPDATE message_log SET {sql} WHERE id = :id"), {"id": hub_id})


#: PostgreSQL runs a representative set (one of each kind of check) to keep the suite cheap.
_ON_POSTGRESQL = ("sender", "received_at", "raw", "chain_hash", "chain_version")


@pytest.mark.parametrize(
    ("database_url", "column"),
    [("sqlite", column) for column in TAMPERS]
    + [("postgresql", column) for column in _ON_POSTGRESQL],
    indirect=["database_url"],
)
def test_an_edit_of_each_covered_column_names_the_row_and_the_column(
    logged: list[int], session_factory: sessionmaker[Session], column: str
) -> None:
    set_clause, named = TAMPERS[column]
    _tamper(session_factory, logged[1], set_clause)
    with session_factory() as session:
        verdict = verify_chain(session)
    assert (verdict.broken_at, verdict.checked) == (logged[1], 1)
    assert named in (verdict.reason or "")


# Only SQLite: PostgreSQL refuses a value of another type than the column's.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("edit", list(WRONG_TYPES))
def test_a_value_of_the_wrong_type_is_named_not_a_crash(
    logged: list[int], session_factory: sessionmaker[Session], edit: str
) -> None:
    set_clause, named = WRONG_TYPES[edit]
    _tamper(session_factory, logged[1], set_clause)
    with session_factory() as session:
        verdict = verify_chain(session)
    assert verdict.broken_at == logged[1]
    assert named in (verdict.reason or "")


def test_new_rows_carry_links_of_the_version_that_covers_every_column(
    logged: list[int], session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        versions = {session.get_one(MessageLog, i).chain_version for i in logged}
        verdict = verify_chain(session)
    assert versions == {CHAIN_VERSION}
    assert (verdict.intact, verdict.checked) == (True, 3)


def test_hub_verify_log_exits_non_zero_naming_the_row_and_column(
    logged: list[int],
    pki: DevPki,
    session_factory: sessionmaker[Session],
    data_dir: Path,
    database_url: str,
) -> None:
    _tamper(session_factory, logged[1], "received_at = {earlier}")
    cli = CliRunner(env={"HUB_DATA_DIR": str(data_dir), "DATABASE_URL": database_url})
    result = cli.invoke(app, ["verify-log"])
    assert result.exit_code == 1
    assert f"broken at message {logged[1]}" in result.output
    assert "received_at" in result.output


def _check(
    settings: Settings, session_factory: sessionmaker[Session]
) -> tuple[bool, int | None, str]:
    with session_factory() as session:
        verdict = check_log(
            session,
            checkpoint_verifier(settings.pki_dir),
            checkpoint_folder(settings.data_dir),
        )
    return verdict.intact, verdict.broken_at, verdict.reason or ""


def _rewrite_from(session_factory: sessionmaker[Session], first: int) -> None:
    """What a careful tamperer does: recompute every link from ``first`` on, and the head."""
    with session_factory.begin() as session:
        rows = session.scalars(
            select(MessageLog).where(MessageLog.id >= first).order_by(MessageLog.id)
        ).all()
        previous = rows[0].prev_hash
        for row in rows:
            row.prev_hash = previous
            row.chain_hash = previous = expected_link(link_values(row))
        session.get_one(ChainHead, 1).last_hash = previous


def test_an_untouched_log_holds_against_its_checkpoints(
    logged: list[int], settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        lengths = session.scalars(select(ChainCheckpoint.length)).all()
    assert sorted(lengths) == [1, 3]
    assert _check(settings, session_factory) == (True, None, "")


def test_a_consistent_rewrite_of_the_tail_is_named_against_the_last_checkpoint(
    logged: list[int], settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    # Given the middle message's reception time moved and every later link recomputed
    _tamper(session_factory, logged[1], "received_at = {earlier}")
    _rewrite_from(session_factory, logged[1])
    with session_factory() as session:
        assert verify_chain(session).intact  # link by link, the rewrite holds
    # Then the checkpoint after the third message no longer matches, and the first row
    # after the one that still did is named
    intact, broken_at, reason = _check(settings, session_factory)
    assert (intact, broken_at) == (False, logged[1])
    assert "rewritten" in reason


def test_messages_removed_after_a_checkpoint_are_noticed(
    logged: list[int], settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    with session_factory.begin() as session:
        for table in (OutboxDelivery, CaseReferral):
            session.execute(delete(table).where(table.message_log_id == logged[2]))
        session.execute(delete(MessageLog).where(MessageLog.id == logged[2]))
        head = session.get_one(ChainHead, 1)
        head.length, head.last_hash = 2, session.get_one(MessageLog, logged[1]).chain_hash
    intact, broken_at, reason = _check(settings, session_factory)
    assert (intact, broken_at) == (False, logged[1])
    assert "removed" in reason


def test_an_altered_checkpoint_fails_its_signature(
    logged: list[int], settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    with session_factory.begin() as session:
        row = session.scalars(select(ChainCheckpoint).where(ChainCheckpoint.length == 3)).one()
        forged = "e" * 64
        row.document = row.document.replace(row.head_hash.encode(), forged.encode())
        row.head_hash = forged
    intact, broken_at, reason = _check(settings, session_factory)
    assert (intact, broken_at) == (False, None)
    assert "is not a valid signed checkpoint" in reason


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_checkpoint_file_outlives_its_deleted_row_and_xmlsec1_verifies_it(
    logged: list[int], settings: Settings, session_factory: sessionmaker[Session], pki: DevPki
) -> None:
    folder = checkpoint_folder(settings.data_dir)
    facts = make_checkpoint(
        session_factory, hub_signer(settings, pki), folder, now=datetime.now(UTC)
    )
    assert facts is not None
    assert facts.length == 3
    (written,) = folder.glob("checkpoint-*.xml")
    xmlsec1 = shutil.which("xmlsec1")
    if xmlsec1 is None:
        require_service("xmlsec1", FileNotFoundError("xmlsec1"))
    assert xmlsec1 is not None
    checked = subprocess.run(
        [xmlsec1, "--verify", "--trusted-pem", str(pki.ca_certificate_path), str(written)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    with session_factory.begin() as session:
        session.execute(delete(ChainCheckpoint).where(ChainCheckpoint.length == 3))
    intact, _, reason = _check(settings, session_factory)
    assert not intact
    assert f"checkpoint file {written.name} has no row in the database" in reason


def test_one_checkpoint_per_slot_whichever_worker_comes_second(
    logged: list[int], settings: Settings, session_factory: sessionmaker[Session], pki: DevPki
) -> None:
    signer, folder, now = (
        hub_signer(settings, pki),
        checkpoint_folder(settings.data_dir),
        datetime.now(UTC),
    )
    first = make_checkpoint(session_factory, signer, folder, now=now, slot=7)
    second = make_checkpoint(session_factory, signer, folder, now=now, slot=7)
    assert first is not None
    assert second is None
    with session_factory() as session:
        assert session.scalars(
            select(ChainCheckpoint.slot).where(ChainCheckpoint.slot == 7)
        ).all() == [7]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_worker_job_signs_a_checkpoint_for_the_current_interval(
    logged: list[int], settings: Settings, session_factory: sessionmaker[Session], pki: DevPki
) -> None:
    stop = threading.Event()
    now = datetime(2026, 12, 7, 6, 30, tzinfo=UTC)

    def clock() -> datetime:
        stop.set()  # one pass, then the loop ends
        return now

    run_checkpoints(settings, session_factory, clock=clock, stop=stop)
    with session_factory() as session:
        slots = session.scalars(
            select(ChainCheckpoint.slot).where(ChainCheckpoint.slot.is_not(None))
        ).all()
    assert slots == [int(now.timestamp() // settings.checkpoint_interval_s)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_two_messages_swapped_in_place_are_named_at_the_first(
    logged: list[int], session_factory: sessionmaker[Session]
) -> None:
    # Given the second and third messages' contents swapped between their rows
    columns = ("message_id", "raw", "sha256", "prev_hash", "chain_hash", "received_at")
    with session_factory.begin() as session:
        second, third = (session.get_one(MessageLog, i) for i in logged[1:])
        values = [{c: getattr(row, c) for c in columns} for row in (second, third)]
        second.message_id = "swap"  # the unique MessageId is free while the two trade
        session.flush()
        for row, taken in ((third, values[0]), (second, values[1])):
            for column, value in taken.items():
                setattr(row, column, value)
            session.flush()
    with session_factory() as session:
        verdict = verify_chain(session)
    assert verdict.broken_at == logged[1]
    assert "removed or reordered" in (verdict.reason or "")


def test_a_null_where_a_link_needs_a_value_is_named() -> None:
    values = {"prev_hash": GENESIS_HASH, "chain_version": CHAIN_VERSION, "sha256": None}
    with pytest.raises(LinkInputInvalid, match=r"^message_id is NULL$"):
        expected_link(values)
    values |= {column: "x" for column in LINK_COLUMNS if column != "sha256"}
    with pytest.raises(LinkInputInvalid, match=r"^created_at is not a timestamp$"):
        expected_link(values)


@pytest.mark.usefixtures("gost_engine")
def test_a_gost_hubs_checkpoint_is_signed_and_checked_with_its_gost_key(
    tmp_path: Path, sqlite_template: SqliteTemplate
) -> None:
    # Given a hub whose own key is GOST R 34.10-2012, on an empty log (the head is genesis)
    data_dir = tmp_path / "gost"
    data_dir.mkdir()
    settings = Settings(
        data_dir=data_dir,
        database_url=sqlite_template.copy_to(data_dir / "hub.db"),
        signature_providers="gost256",
    )
    make_dev_pki(settings.pki_dir, "gost", {})
    folder = checkpoint_folder(data_dir)
    engine = make_engine(settings.effective_database_url)
    try:
        session_factory = make_session_factory(engine)
        signer = hub_signer(settings, open_pki(settings))
        assert make_checkpoint(session_factory, signer, folder, now=datetime.now(UTC))
        (written,) = folder.glob("checkpoint-*.xml")
        assert b"gostr34102012-gostr34112012-256" in written.read_bytes()
        assert _check(settings, session_factory) == (True, None, "")
        # A file whose head was changed after signing fails its GOST signature
        written.write_bytes(written.read_bytes().replace(GENESIS_HASH.encode(), b"f" * 64))
        intact, _, reason = _check(settings, session_factory)
    finally:
        engine.dispose()
    assert not intact
    assert f"checkpoint file {written.name} is not a valid signed checkpoint" in reason
