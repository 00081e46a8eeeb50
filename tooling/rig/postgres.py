"""A private PostgreSQL cluster for fault runs: its own data folder and socket, trust auth.

Stopping and restarting the machine's shared server would break everyone else's
work; a cluster of our own (``initdb`` + ``pg_ctl``) can be stopped, crashed and
started at will. PostgreSQL refuses to run as root, so as root the tools run as the
``postgres`` user (``runuser``) on a folder it owns — a fresh one under the system's
temporary folder, since a caller's own temporary folders are private to it.

It listens on a Unix socket in that folder and on no TCP port: there is no port to
pick that another process could take first, and a restart is found where it was.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

import psycopg

__all__ = ["PG_BIN_DIR", "PrivatePostgres", "StopMode"]

#: Where the machine's PostgreSQL programs are.
PG_BIN_DIR = Path(os.environ.get("HUB_PG_BIN_DIR", "/usr/local/bin"))
#: The database the hub uses in the cluster.
DATABASE = "hub"
#: How long ``pg_ctl`` may wait for a start or a stop, in seconds.
PG_CTL_TIMEOUT_S = 60

#: ``fast``: a clean shutdown (sessions ended); ``immediate``: a crash, recovered on start.
StopMode = Literal["fast", "immediate"]


class PrivatePostgres:
    """One cluster in a new temporary folder (``data/``, ``postgres.log``, its socket);
    ``remove()`` (or leaving the ``with`` block) stops it and deletes the folder."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="hub-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
        self._running = False

    @property
    def url(self) -> str:
        """The hub's ``DATABASE_URL`` for the cluster's database (through its socket)."""
        return f"postgresql+psycopg://postgres@/{DATABASE}?host={self.directory}"

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    def start(self) -> Self:
        """Create the cluster and its database on the first start; start it; wait until
        it takes connections.

        Raises:
            FileNotFoundError: no ``initdb``/``pg_ctl`` in ``PG_BIN_DIR``.
            subprocess.CalledProcessError: the cluster did not start (see ``postgres.log``).
        """
        first = not self.data_dir.exists()
        if first:
            self._run("initdb", "-D", str(self.data_dir), "-U", "postgres", "--auth=trust",
                      "-E", "UTF8", "--no-sync")  # fmt: skip
        options = f"-c listen_addresses='' -c unix_socket_directories='{self.directory}'"
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.directory / "postgres.log"),
                  "-w", "-t", str(PG_CTL_TIMEOUT_S), "-o", options, "start")  # fmt: skip
        self._running = True
        if first:
            with psycopg.connect(
                host=str(self.directory), user="postgres", dbname="postgres", autocommit=True
            ) as connection:
                connection.execute(f"CREATE DATABASE {DATABASE}")
        return self

    def stop(self, mode: StopMode = "fast") -> None:
        """Stop the server (``immediate``: like a crash); safe when it is not running."""
        if not self._running:
            return
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w",
                  "-t", str(PG_CTL_TIMEOUT_S), "stop")  # fmt: skip
        self._running = False

    def restart(self, mode: StopMode = "fast") -> None:
        """Stop (``mode``) and start again on the same socket and data."""
        self.stop(mode)
        self.start()

    def remove(self) -> None:
        """Stop and delete the cluster's files."""
        self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.remove()

    def _run(self, program: str, *arguments: str) -> None:
        command = [str(PG_BIN_DIR / program), *arguments]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(  # noqa: S603 — the machine's PostgreSQL tools, arguments we build
            command, check=True, capture_output=True, stdin=subprocess.DEVNULL
        )
