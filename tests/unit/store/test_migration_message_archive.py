"""Migration 0016 adds the archive columns; the messages already logged keep their bodies."""

from sqlalchemy import text

from hub.store import make_engine
from hub.store.migrate import upgrade


def test_logged_messages_stay_unarchived_with_their_bytes(empty_database_url: str) -> None:
    # Given a 0013 database with one logged message
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0013")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO message_log (message_id, sender, message_type, schema_version,"
                    " priority, created_at, received_at, raw, sha256, prev_hash, chain_hash,"
                    " signer_fingerprint) VALUES ('00000000-0000-4000-8000-000000000001',"
                    " 'social', 'SurveyAct', '1.0', 'routine', :at, :at, :raw, :h, :h, :h, :h)"
                ),
                {"at": "2026-11-20 09:00:00+00:00", "raw": b"<x/>", "h": "0" * 64},
            )
        # When it is upgraded to the archive columns
        upgrade(engine)
        # Then the message is not archived and its bytes are where they were
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT raw, archive_name, archived_at FROM message_log")
            ).one()
    finally:
        engine.dispose()
    assert (bytes(row.raw), row.archive_name, row.archived_at) == (b"<x/>", None, None)
