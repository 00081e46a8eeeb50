"""Loopback ports held for servers that another process or thread starts, so no one else
can take them between the choice and the bind.

Picking a free port, releasing it and letting a server bind it later is a race: on a busy
machine another process takes the port in between (``Address already in use``), or,
worse, a client meets someone else's server there. A ``ReservedPort`` never releases
the port while it is needed: it binds ``127.0.0.1:0`` with ``SO_REUSEADDR`` and never
listens. Linux then gives the port to no one else — ``bind(0)`` and outgoing connections
skip it, a bind without ``SO_REUSEADDR`` fails — while a server binding it with
``SO_REUSEADDR`` (uvicorn, asyncio and ``http.server`` all do) may listen on it. While
that server is down, connections are refused, as a stopped partner refuses them, and a
restarted server gets the same port back: the hub keeps the endpoints it was told.

Handing the child a listening socket instead (``uvicorn --fd``, systemd's socket
activation) would keep the port too, but the kernel would then queue connections for
a killed server instead of refusing them, and the fault rig's "partner down" is a
refused connection.
"""

import socket
from types import TracebackType
from typing import Self

__all__ = ["ReservedPort"]


class ReservedPort:
    """A loopback port held, not listened on, until ``release()`` (or the ``with`` block's
    end); ``port`` is for the server that binds it with ``SO_REUSEADDR``."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._socket.bind(("127.0.0.1", 0))
        except OSError:
            self._socket.close()
            raise
        self.port: int = self._socket.getsockname()[1]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def release(self) -> None:
        """Give the port back (after its server has stopped for good). Safe to call twice."""
        self._socket.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
