"""Engines and sessions: SQLite in WAL mode for the embedded stack, PostgreSQL in production."""

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from hub.store.writers import WriterQueue

#: How long a SQLite writer waits for the write lock before failing.
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: ``Connection.info`` key: this connection holds its engine's write turn.
_WRITING = "hub_sqlite_writing"
#: SQLite connections each engine keeps open (Starlette runs sync routes on 40 threads).
_SQLITE_POOL_SIZE = 40
#: Execution option of the engine behind read-only sessions.
_READ_ONLY = "hub_read_only"


def make_engine(url: str) -> Engine:
    """Build an engine for ``url``; SQLite gets WAL, foreign keys and write-locking transactions."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions that keep loaded attributes after commit, so callers can read what they wrote.

    ``read_only`` sessions must only read: on SQLite they neither take nor wait for
    the write lock (in WAL mode a reader sees the last commit and blocks no writer).
    """
    bind = engine.execution_options(**{_READ_ONLY: True}) if read_only else engine
    return sessionmaker(bind, expire_on_commit=False)


def _sqlite_engine(url: str) -> Engine:
    # The driver's own transaction handling issues BEGIN lazily (DEFERRED), so two
    # writers can both read, then deadlock upgrading their locks. Take over BEGIN and
    # make every transaction IMMEDIATE. Writers wait their turn in a WriterQueue, so
    # none sleeps in SQLite's busy handler while the lock stands free.
    database = make_url(url).database or ":memory:"
    on_disk = database != ":memory:" and not database.startswith("file::memory:")
    writers = WriterQueue(
        Path(database).resolve() if on_disk else None, timeout_s=SQLITE_BUSY_TIMEOUT_MS / 1000
    )
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        isolation_level=None,
        # Enough kept open for the API's request threads: a connection past the pool is
        # opened (and its PRAGMAs run) for one session, then closed again.
        pool_size=_SQLITE_POOL_SIZE,
        max_overflow=_SQLITE_POOL_SIZE,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    # BEGIN goes straight to the driver: it runs for every session, and SQLAlchemy's
    # statement machinery (events, cursor result) costs more than SQLite's BEGIN itself.
    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        dbapi_connection = connection.connection.driver_connection
        if connection.get_execution_options().get(_READ_ONLY):
            dbapi_connection.execute("BEGIN")
            return
        writers.acquire()
        try:
            dbapi_connection.execute("BEGIN IMMEDIATE")
        except BaseException:
            writers.release()
            raise
        connection.info[_WRITING] = True

    # SQLAlchemy fires these before it ends the transaction itself. End it here, then
    # let the next writer in: released any earlier, the next writer would find the
    # database still locked and sleep. SQLAlchemy's own COMMIT/ROLLBACK that follows
    # finds no transaction open and does nothing.
    @event.listens_for(engine, "commit")
    def _on_commit(connection: Any) -> None:
        _end(connection, "commit")

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection: Any) -> None:
        _end(connection, "rollback")

    def _end(connection: Any, how: str) -> None:
        if not connection.info.pop(_WRITING, False):
            return
        try:
            dbapi_connection = connection.connection.dbapi_connection
            if dbapi_connection is not None and dbapi_connection.in_transaction:
                getattr(dbapi_connection, how)()
        finally:
            writers.release()

    # A connection that leaves while holding the turn (invalidated, or returned with its
    # transaction abandoned, which the pool rolls back) must not keep it.
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None and record.info.pop(_WRITING, False):
            writers.release()

    @event.listens_for(engine, "invalidate")
    def _on_invalidate(_dbapi_connection: Any, record: Any, _exception: Any) -> None:
        if record.info.pop(_WRITING, False):
            writers.release()

    return engine
