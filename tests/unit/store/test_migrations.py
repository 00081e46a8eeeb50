"""The migrations build exactly the schema the models describe, on every backend."""

import hashlib
from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hub.ingest import GENESIS_HASH, chain_link, verify_chain
from hub.store import Base, ChainHead, MessageLog, make_engine
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


def _log_row(connection: Connection, message_id: str, sender: str) -> None:
    now = datetime(2026, 12, 1, 9, 0)
    connection.execute(
        text(
            "INSERT INTO message_log (message_id, sender, message_type, schema_version,"
            " priority, created_at, received_at, raw, sha256, prev_hash, chain_hash,"
            " signer_fingerprint) VALUES (:id, :sender, 'FamilyReferral', '1.0', 'routine',"
            " :now, :now, :raw, :h, :h, :h, :h)"
        ),
        {"id": message_id, "sender": sender, "now": now, "raw": b"<x/>", "h": "0" * 64},
    )


def _revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_a_message_id_from_two_senders_stops_the_upgrade_naming_them(
    empty_database_url: str,
) -> None:
    # Given a database from before MessageIds were global, holding one id from two senders
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0007")
        shared = "0f8e2a4c-1111-4a2b-9c3d-5e6f7a8b9c0d"
        with engine.begin() as connection:
            _log_row(connection, shared, "police")
            _log_row(connection, shared, "health")
            _log_row(connection, "1a2b3c4d-2222-4a2b-9c3d-5e6f7a8b9c0d", "police")

        # When it is upgraded, it stops with a message naming the id and both senders
        with pytest.raises(RuntimeError, match=f"{shared} from health, police") as stopped:
            upgrade(engine)
        assert "1 MessageId(s)" in str(stopped.value)

        # And nothing changed: still at 0007, every row as it was
        assert _revision(engine) == "0007"
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT message_id, sender FROM message_log ORDER BY id")
            ).all()
        assert [tuple(r) for r in rows] == [
            (shared, "police"),
            (shared, "health"),
            ("1a2b3c4d-2222-4a2b-9c3d-5e6f7a8b9c0d", "police"),
        ]
    finally:
        engine.dispose()


def test_a_log_of_distinct_message_ids_upgrades_and_then_refuses_a_shared_one(
    empty_database_url: str,
) -> None:
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0007")
        with engine.begin() as connection:
            _log_row(connection, "0f8e2a4c-1111-4a2b-9c3d-5e6f7a8b9c0d", "police")

        upgrade(engine, "0008")

        assert _revision(engine) == "0008"
        with pytest.raises(IntegrityError), engine.begin() as connection:
            _log_row(connection, "0f8e2a4c-1111-4a2b-9c3d-5e6f7a8b9c0d", "health")
    finally:
        engine.dispose()


def test_an_existing_circuit_upgrades_with_no_transitions_counted_and_alerts_start_empty(
    empty_database_url: str,
) -> None:
    # Given a database from before alerts, with a partner whose circuit is open
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0013")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO partner_circuit (partner_code, state, consecutive_failures)"
                    " VALUES ('social', 'open', 5)"
                )
            )

        # When it is upgraded
        upgrade(engine)

        # Then the circuit keeps its state, nothing is counted yet, and no alert exists
        with engine.connect() as connection:
            circuit = connection.execute(
                text(
                    "SELECT state, consecutive_failures, opened_total, closed_total"
                    " FROM partner_circuit"
                )
            ).one()
            incidents = connection.execute(text("SELECT count(*) FROM alert_incident")).scalar()
        assert tuple(circuit) == ("open", 5, 0, 0)
        assert incidents == 0
    finally:
        engine.dispose()


def test_rows_logged_before_0015_keep_their_links_and_verify(empty_database_url: str) -> None:
    # Given a 0013 log of two messages linked the old way (the bytes' hash only)
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0013")
        previous = GENESIS_HASH
        with engine.begin() as connection:
            for n in range(2):
                raw = f"<Envelope n='{n}'/>".encode()
                digest = hashlib.sha256(raw).hexdigest()
                link = chain_link(previous, digest)
                connection.execute(
                    text(
                        "INSERT INTO message_log (message_id, sender, message_type,"
                        " schema_version, priority, created_at, received_at, raw, sha256,"
                        " prev_hash, chain_hash, signer_fingerprint) VALUES (:id, 'police',"
                        " 'FamilyReferral', '1.0', 'routine', :at, :at, :raw, :h, :prev,"
                        " :link, :h)"
                    ),
                    {
                        "id": f"00000000-0000-4000-8000-00000000000{n}",
                        "at": datetime(2026, 11, 20, 9, n),
                        "raw": raw,
                        "h": digest,
                        "prev": previous,
                        "link": link,
                    },
                )
                previous = link
            connection.execute(
                text("UPDATE chain_head SET last_hash = :h, length = 2"), {"h": previous}
            )
        # When the hub is upgraded
        upgrade(engine)
        # Then they are version-1 links, not recomputed, and the log still verifies
        with Session(engine) as session:
            versions = session.scalars(select(MessageLog.chain_version)).all()
            verdict = verify_chain(session)
            stored_head = session.get_one(ChainHead, 1).last_hash
        assert versions == [1, 1]
        assert (verdict.intact, verdict.checked, stored_head) == (True, 2, previous)
    finally:
        engine.dispose()


def test_logged_messages_stay_unarchived_with_their_bytes(empty_database_url: str) -> None:
    # Given a 0013 database with one logged message
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0013")
        with engine.begin() as connection:
            _log_row(connection, "00000000-0000-4000-8000-000000000001", "social")
        # When it gets the archive columns (migration 0016)
        upgrade(engine)
        # Then the message is not archived and its bytes are where they were
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT raw, archive_name, archived_at FROM message_log")
            ).one()
    finally:
        engine.dispose()
    assert (bytes(row.raw), row.archive_name, row.archived_at) == (b"<x/>", None, None)
