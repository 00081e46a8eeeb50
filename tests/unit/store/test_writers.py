"""SQLite writers take turns in the engine's WriterQueue, and every way a transaction
ends gives the turn back (else the next writer would wait forever)."""

import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from hub.store import make_engine
from hub.store.writers import WriterQueue


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
    yield engine
    engine.dispose()


def _count(engine: Engine) -> int:
    with engine.begin() as connection:
        return int(connection.execute(text("SELECT count(*) FROM t")).scalar_one())


def test_a_committed_write_lets_the_next_writer_in(engine: Engine) -> None:
    for n in range(3):
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
    assert _count(engine) == 3


def _insert_then_fail(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (1)"))
        raise RuntimeError("the caller's code failed mid-transaction")


def test_a_failed_transaction_is_rolled_back_and_gives_the_turn_back(engine: Engine) -> None:
    # A turn kept would make the next writer wait out the busy timeout and fail.
    with pytest.raises(RuntimeError):
        _insert_then_fail(engine)
    assert _count(engine) == 0


def test_an_abandoned_transaction_gives_the_turn_back_when_its_connection_returns(
    engine: Engine,
) -> None:
    connection = engine.connect()
    connection.begin()
    connection.execute(text("INSERT INTO t VALUES (1)"))
    connection.close()  # neither commit nor rollback: the pool rolls it back
    assert _count(engine) == 0


def test_a_second_queue_on_the_same_file_waits_its_turn(tmp_path: Path) -> None:
    # Two queues on one file stand for two processes: flock excludes across them.
    first = WriterQueue(tmp_path / "hub.db", timeout_s=5)
    second = WriterQueue(tmp_path / "hub.db", timeout_s=5)
    first.acquire()
    lock_file = tmp_path / "hub.db.writer"
    assert lock_file.exists()
    probe = os.open(lock_file, os.O_RDWR)
    try:
        with pytest.raises(BlockingIOError):
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        first.release()
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(probe, fcntl.LOCK_UN)
    finally:
        os.close(probe)
    second.acquire()
    second.release()
