"""CPU time by role over one measured window: the hub's API and worker processes and the
servers they use (Redis, PostgreSQL), and apart from them the recording partner.

Each role is a *reading*: a function giving the CPU seconds each of its processes has used
so far. ``CpuSampler`` reads every role when the window opens, every ``SAMPLE_S`` while it
is open and when it closes; a role's time is the sum, over its processes, of the last
reading less the first (0 for a process that started inside the window). A process that
ends inside the window counts up to its last reading.

What counts as PostgreSQL's work for the hub (``PostgresServer``): the backends serving
the hub's database (connections of the API and workers, and the autovacuum workers of its
tables), found by their process title, which names the database; plus the server's own
processes (postmaster, checkpointer, background writer, WAL writer, autovacuum
launcher), whose work — the WAL the hub's commits write, the pages its tables dirty — is
shared with every other database on the server. What it leaves out: the postmaster's
``cutime``/``cstime``, the time of the children it has reaped, counts *every* ended
backend of every database, so on a server other clients use (tests, CI) it would charge
their work to the hub; and so a backend of the hub's that lives less than ``SAMPLE_S``
(an overflow connection of a pool past its ``pool_size``) is missed, and one that ends
loses its time after its last reading. The figure errs low on the hub's own short-lived
connections and high by the server processes' work for other databases.
"""

import threading
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Self

import redis
from sqlalchemy import Engine, event, text

from tooling.bench.options import BenchRefused
from tooling.bench.procfs import (
    child_pids,
    command_line,
    cpu_seconds,
    parent_pid,
    tree_cpu_seconds,
)

__all__ = [
    "SAMPLE_S",
    "CpuSampler",
    "PostgresServer",
    "Reading",
    "process_trees",
    "redis_server_pid",
    "track_backends",
]

#: How often the processes are read while a window is open, in seconds.
SAMPLE_S = 0.2
#: The titles of PostgreSQL's server processes that work for every database.
_SERVER_PROCESSES = (
    "checkpointer",
    "background writer",
    "walwriter",
    "autovacuum launcher",
    "archiver",
    "logical replication launcher",
)

#: The CPU seconds each process of a role has used so far, by pid.
Reading = Callable[[], dict[int, float]]


def process_trees(pids: Iterable[int]) -> Reading:
    """A reading of each process in ``pids`` with everything it started (``tree_cpu_seconds``);
    a process that has ended is left out."""
    roots = tuple(pids)

    def read() -> dict[int, float]:
        found: dict[int, float] = {}
        for pid in roots:
            try:
                found[pid] = tree_cpu_seconds(pid)
            except ProcessLookupError:
                continue
        return found

    return read


def redis_server_pid(url: str) -> int:
    """The pid of the Redis server at ``url`` (``INFO server``'s ``process_id``).

    Raises:
      BenchRefused: the server is not a process on this machine, so its CPU cannot be read.
    """
    client = redis.Redis.from_url(url)
    try:
        pid = int(client.info("server")["process_id"])
    finally:
        client.close()
    if "redis" not in _title(pid):
        raise BenchRefused(
            f"the broker's Redis ({url}) is not a process of this machine: its CPU cannot be "
            "counted on the hub's side"
        )
    return pid


def track_backends(engine: Engine) -> set[int]:
    """The pids of the PostgreSQL backends ``engine`` connects to, filled as it connects: the
    bench's own reads, which ``PostgresServer`` leaves out of the hub's figure."""
    backends: set[int] = set()

    @event.listens_for(engine, "connect")
    def _remember(dbapi_connection: Any, _record: Any) -> None:
        # psycopg's connection knows its backend without a query.
        backends.add(int(dbapi_connection.info.backend_pid))

    return backends


class PostgresServer:
    """The processes of a PostgreSQL server on this machine that work for one database
    (see the module's docstring for what that includes and why)."""

    def __init__(self, postmaster: int, database: str, *, excluded: set[int]) -> None:
        self.postmaster = postmaster
        self.database = database
        #: Backends of the database not to count (the bench's own); may grow later.
        self._excluded = excluded

    @classmethod
    def of(cls, engine: Engine, *, excluded: set[int]) -> Self:
        """The server ``engine`` connects to, found through one of its backends.

        Raises:
          BenchRefused: the server is not on this machine.
        """
        with engine.connect() as connection:
            database = str(connection.scalar(text("SELECT current_database()")))
            backend = int(connection.scalar(text("SELECT pg_backend_pid()")) or 0)
        if database not in _title(backend).split():
            raise BenchRefused(
                f"PostgreSQL's backend {backend} is not a process of this machine: the "
                "server's CPU cannot be counted on the hub's side; run it on this machine"
            )
        return cls(parent_pid(backend), database, excluded=excluded)

    def reading(self) -> dict[int, float]:
        """CPU seconds so far of the postmaster itself, its server processes, and the
        backends of the database not excluded."""
        found = {self.postmaster: cpu_seconds(self.postmaster)}
        for child in child_pids(self.postmaster):
            if child in self._excluded or not self._counts(_title(child)):
                continue
            try:
                found[child] = cpu_seconds(child)
            except ProcessLookupError:
                continue  # ended since the postmaster listed it
        return found

    def _counts(self, title: str) -> bool:
        return self.database in title.split() or title.endswith(_SERVER_PROCESSES)


class CpuSampler:
    """CPU seconds by role between entering and leaving the ``with`` block.

    Reads every role on entry, every ``interval_s`` in a thread of its own, and on exit;
    ``seconds_by_role()`` is then each role's sum of last-minus-first readings.
    """

    def __init__(self, readings: Mapping[str, Reading], *, interval_s: float = SAMPLE_S) -> None:
        self._readings = dict(readings)
        self._interval_s = interval_s
        self._first: dict[str, dict[int, float]] = {role: {} for role in self._readings}
        self._last: dict[str, dict[int, float]] = {role: {} for role in self._readings}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample_until_stopped, name="bench-cpu")

    def __enter__(self) -> Self:
        self._read(opening=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._read()

    def seconds_by_role(self) -> dict[str, float]:
        """Each role's CPU seconds in the window, in the order the readings were given."""
        with self._lock:
            return {
                role: sum(
                    seconds - self._first[role].get(pid, 0.0)
                    for pid, seconds in self._last[role].items()
                )
                for role in self._readings
            }

    def _sample_until_stopped(self) -> None:
        while not self._stop.wait(self._interval_s):
            self._read()

    def _read(self, *, opening: bool = False) -> None:
        taken = {role: read() for role, read in self._readings.items()}
        with self._lock:
            for role, seconds in taken.items():
                if opening:
                    self._first[role].update(seconds)
                self._last[role].update(seconds)


def _title(pid: int) -> str:
    try:
        return command_line(pid)
    except ProcessLookupError:
        return ""
