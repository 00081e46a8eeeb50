"""EmbeddedRedis: a real redis-server under the data folder, durable across restarts, shared."""

import socket
from pathlib import Path

import pytest
import redis
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy.orm import sessionmaker

from queues import (
    DeliveryContext,
    EmbeddedRedis,
    EmbeddedRedisFailed,
    PartnerTransports,
    RetryPolicy,
    build_broker,
    declare_actors,
)


def _context() -> DeliveryContext:
    # Sending needs no database: an unbound session factory is never used.
    sessions = sessionmaker()
    return DeliveryContext(
        session_factory=sessions,
        transports=PartnerTransports(sessions, {}, 1.0),
        lease_s=30,
        retry=RetryPolicy(max_attempts=2, min_backoff_ms=1, max_backoff_ms=10),
        batch_size=20,
    )


def _ping(url: str) -> bool:
    client = redis.Redis.from_url(url)
    try:
        return bool(client.ping())
    finally:
        client.close()


def test_a_queued_wake_survives_a_restart(data_dir: Path) -> None:
    # Given a wake sent through the broker build_broker makes without a URL
    broker, server = build_broker(None, data_dir=data_dir)
    assert isinstance(broker, RedisBroker)
    assert server is not None
    assert server.owned
    declare_actors(broker, _context()).wake("social", "urgent")

    # When the server is stopped and started again on the same folder
    server.stop()
    assert not server.socket_path.exists()
    with EmbeddedRedis(data_dir) as restarted:
        # Then the wake is still queued, and a consumer gets it
        broker, embedded = build_broker(restarted.url, data_dir=data_dir)
        assert embedded is None
        broker.declare_queue("urgent")
        consumer = broker.consume("urgent", timeout=1_000)
        message = next(consumer)
        while message is None:  # the consumer answers None while it long-polls
            message = next(consumer)
        assert (message.actor_name, message.args) == ("deliver_urgent", ("social",))
        consumer.close()


def test_a_second_instance_reuses_the_running_server_without_owning_it(data_dir: Path) -> None:
    with EmbeddedRedis(data_dir) as first:
        second = EmbeddedRedis(data_dir).start()
        assert second.url == first.url
        assert not second.owned

        second.stop()

        assert _ping(first.url)
    assert not (data_dir / "redis" / "redis.pid").exists()


def test_a_socket_file_left_by_a_killed_server_does_not_fool_the_reuse_check(
    data_dir: Path,
) -> None:
    # Given the socket file of a server that died: nothing listens on it
    (data_dir / "redis").mkdir()
    left = EmbeddedRedis(data_dir).socket_path
    with socket.socket(socket.AF_UNIX) as dead:
        dead.bind(str(left))
    assert left.exists()

    # Then start() starts a server of its own, on that same socket
    with EmbeddedRedis(data_dir) as server:
        assert server.owned
        assert server.url == f"unix://{left}?db=0"
        assert _ping(server.url)


def test_the_server_listens_on_its_folders_socket_and_no_tcp_port(data_dir: Path) -> None:
    with EmbeddedRedis(data_dir) as server:
        client = redis.Redis.from_url(server.url)
        try:
            assert client.config_get("port") == {"port": "0"}
            assert client.config_get("unixsocket") == {
                "unixsocket": str(data_dir.resolve() / "redis" / "redis.sock")
            }
        finally:
            client.close()


def test_a_folder_too_deep_for_a_socket_path_gets_one_in_the_temporary_folder(
    tmp_path: Path,
) -> None:
    # Given a data folder whose socket path would pass Linux's 107 bytes
    deep = tmp_path / ("d" * 60) / ("e" * 60)

    # Then the server listens in a short folder of its own, the same for every process
    with EmbeddedRedis(deep) as server:
        assert len(bytes(server.socket_path)) <= 107
        assert server.socket_path == EmbeddedRedis(deep).socket_path
        assert server.socket_path != EmbeddedRedis(tmp_path).socket_path
        assert server.socket_path.parent.stat().st_mode & 0o777 == 0o700
        assert _ping(server.url)

    # And that folder goes with the server
    assert not server.socket_path.parent.exists()


def test_a_server_that_cannot_start_is_reported(data_dir: Path) -> None:
    # Given a corrupt append-only file, which redis-server refuses to load
    (data_dir / "redis").mkdir()
    (data_dir / "redis" / "appendonly.aof").write_text("not an append-only file\n")

    with pytest.raises(EmbeddedRedisFailed, match=r"redis\.log"):
        EmbeddedRedis(data_dir).start()


def test_url_before_start_is_a_programming_error(data_dir: Path) -> None:
    with pytest.raises(RuntimeError, match="not started"):
        _ = EmbeddedRedis(data_dir).url


def test_a_socket_folder_others_may_enter_is_refused(tmp_path: Path) -> None:
    # Given the short socket folder of a deep data folder, made open to everyone first
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    folder = EmbeddedRedis(deep).socket_path.parent
    folder.mkdir(mode=0o755)
    try:
        # Then no server starts there
        with pytest.raises(EmbeddedRedisFailed, match="not this user's alone"):
            EmbeddedRedis(deep).start()
    finally:
        folder.rmdir()
