"""ReservedPort: a port nobody else can take, which a server may still bind and listen on."""

import socket
from collections.abc import Iterator

import pytest

from tooling.rig import ReservedPort


@pytest.fixture
def reserved() -> Iterator[ReservedPort]:
    with ReservedPort() as port:
        yield port


def _server_socket(port: int) -> socket.socket:
    """A listening socket bound as uvicorn, asyncio and http.server bind theirs."""
    server = socket.socket()
    try:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen()
    except OSError:
        server.close()
        raise
    return server


def test_connections_to_a_reserved_port_are_refused_while_no_server_listens(
    reserved: ReservedPort,
) -> None:
    with socket.socket() as client, pytest.raises(ConnectionRefusedError):
        client.connect(("127.0.0.1", reserved.port))


def test_a_plain_bind_of_a_reserved_port_fails(reserved: ReservedPort) -> None:
    with socket.socket() as other, pytest.raises(OSError, match="Address already in use"):
        other.bind(("127.0.0.1", reserved.port))


def test_a_free_port_chosen_by_the_kernel_is_never_the_reserved_one(
    reserved: ReservedPort,
) -> None:
    chosen = []
    for _ in range(200):
        with socket.socket() as other:
            other.bind(("127.0.0.1", 0))
            chosen.append(other.getsockname()[1])
    assert reserved.port not in chosen


def test_a_server_listens_on_it_and_gets_it_back_after_a_restart(
    reserved: ReservedPort,
) -> None:
    # Given a server on the reserved port, answering
    with _server_socket(reserved.port) as server, socket.socket() as client:
        client.connect(("127.0.0.1", reserved.port))
        server.accept()[0].close()

    # When it has stopped, connections are refused; a second server takes the port again
    with socket.socket() as client, pytest.raises(ConnectionRefusedError):
        client.connect(("127.0.0.1", reserved.port))
    with _server_socket(reserved.port) as again, socket.socket() as client:
        client.connect(("127.0.0.1", reserved.port))
        again.accept()[0].close()


def test_a_second_server_cannot_listen_beside_the_first(reserved: ReservedPort) -> None:
    with (
        _server_socket(reserved.port),
        pytest.raises(OSError, match="Address already in use"),
    ):
        _server_socket(reserved.port)
