"""The servers the hub uses, found as processes on this machine: Redis by its ``INFO``,
PostgreSQL by the backends serving one database, the bench's own connections left out."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL
from tooling.bench.cpu import PostgresServer, redis_server_pid, track_backends
from tooling.bench.procfs import command_line, parent_pid


def _backend(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT pg_backend_pid()")) or 0)


@pytest.fixture
def engines(postgres_admin_engine: Engine) -> Iterator[tuple[Engine, Engine, Engine]]:
    """The bench's engine and the hub's on the test database, and one on another database."""
    other = make_url(POSTGRES_URL).set(database="postgres").render_as_string(hide_password=False)
    made = (create_engine(POSTGRES_URL), create_engine(POSTGRES_URL), create_engine(other))
    yield made
    for engine in made:
        engine.dispose()


def test_redis_is_found_by_the_pid_its_info_gives(redis_url: str) -> None:
    pid = redis_server_pid(redis_url)
    assert "redis-server" in command_line(pid)


def test_postgresql_counts_the_databases_backends_and_the_server_not_the_benchs_own(
    engines: tuple[Engine, Engine, Engine],
) -> None:
    bench = engines[0]
    # Given the server found through the bench's engine, whose backends are tracked
    server = PostgresServer.of(bench, excluded=track_backends(bench))
    bench_backend, hub_backend, other_backend = (_backend(e) for e in engines)
    # When it is read
    counted = server.reading()
    # Then the postmaster and the hub's backend count, the bench's and another database's do not
    assert server.postmaster == parent_pid(hub_backend)
    assert server.database == make_url(POSTGRES_URL).database
    assert server.postmaster in counted
    assert hub_backend in counted
    assert bench_backend not in counted
    assert other_backend not in counted
    # And the server's own processes (the WAL writer, the checkpointer) count too
    titles = {command_line(pid) for pid in counted}
    assert any(title.endswith("walwriter") for title in titles)
    assert any(title.endswith("checkpointer") for title in titles)
