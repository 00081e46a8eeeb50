"""Request bodies read within the size limit, and refusals that a client can still read.

A message larger than ``HUB_MAX_MESSAGE_BYTES`` is refused without buffering it: a declared
``Content-Length`` over the limit before a byte of the body is read, a chunked body as soon
as it passes the limit. Either way the client may still be writing the rest, and a server
that closes a socket with unread data makes the kernel send a reset, which can destroy the
answer before a client that writes its whole body first gets to read it. So the refusal is
sent complete at once (the client may read it while still sending), then the rest of the
body is read and dropped — up to ``DRAIN_MAX_BYTES`` and ``DRAIN_TIMEOUT_S`` — and only then
is the connection closed (``Connection: close``). A client that sent ``Expect:
100-continue`` has not sent its body and will not: asking for more would make uvicorn send
``100 Continue`` after the answer, so that connection is closed at once.
"""

import asyncio

from fastapi import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

#: The most of a refused body read (and dropped) before closing anyway, in bytes.
DRAIN_MAX_BYTES = 16 * 1024 * 1024
#: How long a refused body may take to arrive before the connection is closed anyway, in seconds.
DRAIN_TIMEOUT_S = 10.0


def declared_length(request: Request) -> int | None:
    """The request's ``Content-Length`` (None when chunked; the server already refused a
    malformed one with 400)."""
    value = request.headers.get("content-length")
    return int(value) if value is not None else None


async def read_limited(request: Request, max_bytes: int) -> tuple[bytes, bool]:
    """The body, and whether it was read whole; reading stops one byte past ``max_bytes``
    so an oversize body is never buffered."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            return b"".join(chunks), False
    return b"".join(chunks), True


class RefusalBeforeBody(Response):
    """``answer`` sent whole at once, then the unread rest of the request body dropped
    (bounded), then the connection closed — see the module's docstring."""

    def __init__(self, answer: Response, *, drain: bool) -> None:
        super().__init__(
            content=answer.body,
            status_code=answer.status_code,
            headers={**answer.headers, "Connection": "close"},
        )
        self._drain = drain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        # Content-Length says where the answer ends, so the client has all of it now,
        # although the response only completes (and the connection closes) after the drain.
        await send({"type": "http.response.body", "body": self.body, "more_body": True})
        if self._drain:
            try:
                async with asyncio.timeout(DRAIN_TIMEOUT_S):
                    await _drop_body(receive)
            except TimeoutError:
                pass  # a client this slow gets the close it has earned; it has the answer
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _drop_body(receive: Receive) -> None:
    dropped = 0
    while dropped <= DRAIN_MAX_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return  # the client went away
        dropped += len(message.get("body", b""))
        if not message.get("more_body", False):
            return
