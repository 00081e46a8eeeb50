"""An oversize message is refused cleanly, over a raw socket to the real uvicorn server:
a declared Content-Length before the body is sent, a chunked body with an answer the
client can read after writing all of it, then a clean close (not a reset)."""

import json
import socket
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from hub.api.bodies import DRAIN_TIMEOUT_S
from hub.store import Rejection
from tests.stack import RunningHub

TWO_MB = 2 * 1024 * 1024


@dataclass
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


@pytest.fixture
def connection(hub_api: RunningHub) -> Iterator[socket.socket]:
    url = urlsplit(hub_api.url)
    assert url.hostname is not None
    assert url.port is not None
    with closing(socket.create_connection((url.hostname, url.port), timeout=10)) as sock:
        yield sock


def _head(hub_api: RunningHub, *lines: str) -> bytes:
    key = hub_api.api_keys["police"]
    fields = ["POST /api/v1/messages HTTP/1.1", "Host: hub", f"Authorization: Bearer {key}"]
    return ("\r\n".join([*fields, "Content-Type: application/xml", *lines]) + "\r\n\r\n").encode()


def _read_answer(sock: socket.socket) -> RawAnswer:
    """One complete HTTP response, by its Content-Length; fails on a reset or a timeout."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += _recv(sock)
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.lower(): value.strip()
        for name, _, value in (line.partition(":") for line in header_lines)
    }
    while len(body) < int(headers["content-length"]):
        body += _recv(sock)
    return RawAnswer(int(status_line.split()[1]), headers, body)


def _recv(sock: socket.socket) -> bytes:
    chunk = sock.recv(65536)
    assert chunk, "the server closed before the answer was complete"
    return chunk


def _assert_too_large(answer: RawAnswer) -> None:
    assert answer.status == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["connection"] == "close"
    assert json.loads(answer.body)["code"] == "xml.too_large"


def _closed_cleanly(sock: socket.socket) -> bool:
    """True when the server ends the connection with FIN (EOF), not a reset."""
    sock.settimeout(DRAIN_TIMEOUT_S + 5)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return False


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(
    hub_api: RunningHub, connection: socket.socket
) -> None:
    declared = 100 * hub_api.settings.max_message_bytes

    # Only the headers: the body is never sent
    connection.sendall(_head(hub_api, f"Content-Length: {declared}"))
    started = time.monotonic()
    answer = _read_answer(connection)

    _assert_too_large(answer)
    assert time.monotonic() - started < DRAIN_TIMEOUT_S
    with hub_api.runtime.session_factory() as session:
        recorded = session.execute(select(Rejection.code, Rejection.size_bytes)).all()
    assert [tuple(row) for row in recorded] == [("xml.too_large", declared)]


def test_a_client_that_writes_its_whole_declared_body_first_still_reads_the_refusal(
    hub_api: RunningHub, connection: socket.socket
) -> None:
    body = b"<a>" + b"x" * TWO_MB + b"</a>"

    connection.sendall(_head(hub_api, f"Content-Length: {len(body)}") + body)

    _assert_too_large(_read_answer(connection))
    assert _closed_cleanly(connection)


def test_a_chunked_body_over_the_limit_gets_a_complete_answer_and_a_clean_close(
    hub_api: RunningHub, connection: socket.socket
) -> None:
    # Given a client that writes a 2 MB chunked body whole before reading anything
    connection.sendall(_head(hub_api, "Transfer-Encoding: chunked"))
    chunk = b"x" * 65536
    for _ in range(TWO_MB // len(chunk)):
        connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    connection.sendall(b"0\r\n\r\n")

    # Then it reads a complete 413, and the connection ends with EOF, not a reset
    _assert_too_large(_read_answer(connection))
    assert _closed_cleanly(connection)
    with hub_api.runtime.session_factory() as session:
        assert session.scalars(select(Rejection.code)).all() == ["xml.too_large"]


def test_a_client_expecting_100_continue_gets_the_refusal_and_no_continue(
    hub_api: RunningHub, connection: socket.socket
) -> None:
    declared = 10 * hub_api.settings.max_message_bytes

    connection.sendall(_head(hub_api, f"Content-Length: {declared}", "Expect: 100-continue"))
    answer = _read_answer(connection)

    _assert_too_large(answer)
    assert _closed_cleanly(connection)  # at once: no body is coming, no 100 Continue is sent
