"""A real SMTP server for tests: aiosmtpd on a loopback port the system picks.

``start_inbox`` runs one until its context ends; ``tests/conftest.py`` makes it the
``inbox`` fixture.
"""

import asyncio
import contextlib
import email
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message

from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession


@dataclass
class Inbox:
    """What a local SMTP server received."""

    port: int
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.messages.append(email.message_from_bytes(content))
        return "250 OK"


@contextlib.contextmanager
def start_inbox() -> Iterator[Inbox]:
    """An SMTP server on 127.0.0.1 at a free port, in its own event loop thread."""
    loop = asyncio.new_event_loop()
    listening = socket.create_server(("127.0.0.1", 0))
    received = Inbox(port=listening.getsockname()[1])
    server = loop.run_until_complete(
        loop.create_server(lambda: SMTP(received, loop=loop), sock=listening)
    )
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield received
    loop.call_soon_threadsafe(server.close)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    loop.close()
