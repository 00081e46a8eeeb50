"""The queue SQLite writers wait in: a thread lock within a process, a file lock across them.

SQLite lets one writer at a time hold the database; a writer that finds it taken
sleeps in SQLite's busy handler — 1, 2, 5, 10 … up to 100 ms a try — and retries,
so under load most of a writer's time is spent asleep while the lock stands free,
and a thread can lose the race again and again. Queued here instead, each writer
is woken the moment the one before it has committed: by ``threading.Lock`` for the
threads of one process, by ``flock`` on a file beside the database for the hub's
processes (API, workers, CLI). A killed process's ``flock`` is released by the
kernel. SQLite's busy timeout still guards against writers that do not queue here
(the ``sqlite3`` shell, other tools).
"""

import fcntl
import os
import threading
from pathlib import Path

__all__ = ["WriterQueue", "WriterQueueTimeout"]


class WriterQueueTimeout(TimeoutError):
    """A writer waited longer than the busy timeout for the writers before it."""


class WriterQueue:
    """Mutual exclusion of SQLite write transactions on one database file.

    ``acquire`` before ``BEGIN IMMEDIATE``, ``release`` once ``COMMIT`` or
    ``ROLLBACK`` has finished. Not re-entrant: one thread holds one write
    transaction at a time, as SQLite allows anyway.
    """

    def __init__(self, database: Path | None, *, timeout_s: float) -> None:
        """``database``: the file (None for an in-memory database: threads only)."""
        self._timeout_s = timeout_s
        self._threads = threading.Lock()
        self._lock_path = (
            None if database is None else database.with_name(database.name + ".writer")
        )
        self._fd: int | None = None

    def acquire(self) -> None:
        """Wait for the writers before this one.

        Raises:
          WriterQueueTimeout: a thread of this process held the lock past the timeout.
        """
        if not self._threads.acquire(timeout=self._timeout_s):
            raise WriterQueueTimeout(f"no write turn within {self._timeout_s:.0f} s")
        try:
            if self._lock_path is not None:
                fcntl.flock(self._file(), fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def release(self) -> None:
        """Let the next writer in."""
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def _file(self) -> int:
        # Opened once, under the thread lock: flock belongs to the open file, which every
        # thread of the process shares; the thread lock orders the threads themselves.
        if self._fd is None:
            assert self._lock_path is not None
            self._fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return self._fd
