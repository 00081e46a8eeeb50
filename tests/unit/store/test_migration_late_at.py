"""Migration 0017 marks the rows already 72 hours undelivered late, without telling anyone."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, select, text

from hub.store import OutboxDelivery, make_engine, make_session_factory
from hub.store.migrate import upgrade
from tests.unit.store.old_rows import insert_message

NOW = datetime.now(UTC).replace(tzinfo=None)


def _row(connection: Connection, recipient: str, status: str, age: timedelta) -> None:
    connection.execute(
        text(
            "INSERT INTO outbox_delivery (message_log_id, recipient, mode, priority, status,"
            " payload, attempts, created_at, resends) VALUES (1, :recipient, 'push', 'routine',"
            " :status, :raw, 0, :at, 0)"
        ),
        {"recipient": recipient, "status": status, "raw": b"<x/>", "at": NOW - age},
    )


def test_old_undelivered_rows_become_late_and_the_rest_stay_unmarked(
    empty_database_url: str,
) -> None:
    # Given a 0013 database: a message with copies four days old (one dead, one delivered,
    # one cancelled) and one an hour old
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0013")
        with engine.begin() as connection:
            insert_message(connection, at=NOW - timedelta(days=4))
            _row(connection, "social", "dead", timedelta(days=4))
            _row(connection, "kdn", "delivered", timedelta(days=4))
            _row(connection, "health", "cancelled", timedelta(days=4))
            _row(connection, "education", "pending", timedelta(hours=1))

        # When it is upgraded
        upgrade(engine)

        # Then only the old undelivered copy is late (its sender not told: no notice row)
        with make_session_factory(engine)() as session:
            late = {
                d.recipient: d.late_at is not None for d in session.scalars(select(OutboxDelivery))
            }
            notices = session.scalar(text("SELECT count(*) FROM hub_notice"))
        assert late == {"social": True, "kdn": False, "health": False, "education": False}
        assert notices == 0
    finally:
        engine.dispose()
