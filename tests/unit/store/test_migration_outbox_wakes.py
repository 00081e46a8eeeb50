"""Migration 0019 drops the outbox's broker bookkeeping (``enqueued_at``, ``resends``) and keeps
every row's delivery state; its downgrade brings both columns back empty, so the old sweeper
sends each open row once."""

from datetime import datetime, timedelta

from alembic import command
from sqlalchemy import Connection, Engine, inspect, text

from hub.store import make_engine
from hub.store.migrate import alembic_config, upgrade
from tests.unit.store.old_rows import insert_message

T0 = datetime(2026, 12, 1, 9, 0)
BOOKKEEPING = {"enqueued_at", "resends"}


def _row(
    connection: Connection,
    recipient: str,
    status: str,
    *,
    attempts: int,
    enqueued_at: datetime | None,
    resends: int,
) -> None:
    connection.execute(
        text(
            "INSERT INTO outbox_delivery (message_log_id, recipient, mode, priority, status,"
            " payload, attempts, created_at, enqueued_at, resends) VALUES (1, :recipient,"
            " 'push', 'routine', :status, :raw, :attempts, :at, :enqueued_at, :resends)"
        ),
        {
            "recipient": recipient,
            "status": status,
            "raw": b"<x/>",
            "attempts": attempts,
            "at": T0,
            "enqueued_at": enqueued_at,
            "resends": resends,
        },
    )


def _columns(engine: Engine) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns("outbox_delivery")}


def _rows(engine: Engine, *columns: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text(f"SELECT {', '.join(columns)} FROM outbox_delivery ORDER BY id")
            )
        ]


def test_the_upgrade_drops_the_bookkeeping_and_the_downgrade_restores_it_empty(
    empty_database_url: str,
) -> None:
    # Given a 0018 database: a message with a copy re-sent twice by the old sweeper, one
    # retrying and one delivered
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0018")
        with engine.begin() as connection:
            insert_message(connection, at=T0)
            _row(connection, "social", "pending", attempts=0, enqueued_at=T0, resends=2)
            _row(
                connection,
                "kdn",
                "retrying",
                attempts=2,
                enqueued_at=T0 + timedelta(minutes=1),
                resends=0,
            )
            _row(connection, "health", "delivered", attempts=1, enqueued_at=T0, resends=0)
        state = ("recipient", "status", "attempts")
        before = _rows(engine, *state)

        # When it is upgraded
        upgrade(engine)

        # Then the columns are gone and every row keeps its state
        assert not BOOKKEEPING & _columns(engine)
        assert _rows(engine, *state) == before

        # When it is downgraded again
        command.downgrade(alembic_config(engine), "0018")

        # Then both columns are back, empty: no row is in a broker message any more
        assert _columns(engine) >= BOOKKEEPING
        assert _rows(engine, *state, "enqueued_at", "resends") == [
            (*row, None, 0) for row in before
        ]
        # And the upgrade runs again over the restored columns
        upgrade(engine)
        assert not BOOKKEEPING & _columns(engine)
    finally:
        engine.dispose()
