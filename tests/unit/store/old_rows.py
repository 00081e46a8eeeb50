"""Rows written by plain SQL into a database at an old revision, for the migration tests.

The models describe the newest schema, so a database held at an older revision is
filled through SQL that names only the columns it had.
"""

from datetime import datetime

from sqlalchemy import Connection, text


def insert_message(connection: Connection, *, at: datetime) -> None:
    """A routine FamilyReferral from the police, logged at ``at`` as ``message_log.id`` 1,
    which the tests' old outbox rows name."""
    connection.execute(
        text(
            "INSERT INTO message_log (id, message_id, sender, message_type,"
            " schema_version, priority, created_at, received_at, raw, sha256, prev_hash,"
            " chain_hash, signer_fingerprint) VALUES (1,"
            " '00000000-0000-4000-8000-000000000001', 'police', 'FamilyReferral', '1.0',"
            " 'routine', :at, :at, :raw, :h, :h, :h, :h)"
        ),
        {"at": at, "raw": b"<x/>", "h": "0" * 64},
    )
