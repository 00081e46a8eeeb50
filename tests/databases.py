"""Migrated databases for tests, made fast: each test process migrates once, each test
gets a pristine copy.

Running every Alembic migration costs about 0.5 s on SQLite and 1 s on PostgreSQL, and
hundreds of tests need a migrated database. So each test process (each xdist worker)
migrates one template of each kind, once:

- SQLite: a migrated file; a test gets a copy of it (a file copy, about a millisecond).
- PostgreSQL: the schema's DDL itself is what costs (replaying the migrations' CREATE
  statements takes as long as migrating), and a database copied with ``CREATE DATABASE
  … TEMPLATE`` is quick to make, but ``DROP DATABASE`` forces a checkpoint, which took
  9 to 75 s per database on this shared server. So the process keeps two schemas: the
  template, migrated and never written, and a working schema, migrated alike, which is
  reset for each test in one transaction of a few milliseconds: the connections left
  on it are ended, every table is emptied and refilled from the template (the rows
  the migrations seed), every sequence set back. Tests in a process run one at a
  time, so each starts on a schema just as migrations leave it, with nothing of the
  test before: no rows, no ids used, no connection. No test changes the schema
  itself; a test of the migrations from an older revision takes an empty database.
"""

import shutil
import uuid
from pathlib import Path

from sqlalchemy import Engine, text

from hub.store import make_engine
from hub.store.migrate import upgrade

__all__ = ["PostgresTemplate", "SqliteTemplate", "postgres_schema_url"]


def postgres_schema_url(server_url: str, schema: str) -> str:
    """The URL of ``schema`` on the server: its tables are found without a prefix, and
    every connection is named after it (``application_name``), so it can be found."""
    return f"{server_url}?options=-csearch_path%3D{schema}&application_name={schema}"


def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


class SqliteTemplate:
    """A SQLite file migrated to head, copied for each test."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "template.db"
        # Disposing the engine closes the last connection, which checkpoints the WAL
        # into the file: the file alone is then the whole database.
        _migrate(f"sqlite:///{self.path}")

    def copy_to(self, path: Path) -> str:
        """Copy the template to ``path`` (which must not exist yet); its URL."""
        if path.exists():
            raise FileExistsError(path)
        shutil.copyfile(self.path, path)
        return f"sqlite:///{path}"


class PostgresTemplate:
    """A migrated template schema and a working schema reset to it for each test."""

    def __init__(self, admin: Engine, server_url: str) -> None:
        self._admin = admin
        stamp = uuid.uuid4().hex[:12]
        self._template, self._work = f"t_template_{stamp}", f"t_work_{stamp}"
        self.url = postgres_schema_url(server_url, self._work)
        with admin.begin() as connection:
            for schema in (self._template, self._work):
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            for schema in (self._template, self._work):
                _migrate(postgres_schema_url(server_url, schema))
            self._reset_script = ";\n".join(self._reset_statements())
        except BaseException:
            self.drop()
            raise

    def reset(self) -> str:
        """Reset the working schema to the template (see the module); its URL."""
        with self._admin.begin() as connection:
            connection.exec_driver_sql(self._reset_script)
        return self.url

    def drop(self) -> None:
        """Drop both schemas (at the end of the session)."""
        with self._admin.begin() as connection:
            connection.exec_driver_sql(self._end_connections())
            for schema in (self._template, self._work):
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))

    def _end_connections(self) -> str:
        return (
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            f" WHERE application_name = '{self._work}' AND pid <> pg_backend_pid()"
        )

    def _reset_statements(self) -> list[str]:
        """The reset, statement by statement, from the template's tables and sequences."""
        template, work = self._template, self._work
        with self._admin.connect() as connection:
            tables = list(
                connection.execute(
                    text(
                        "SELECT table_name FROM information_schema.tables"
                        " WHERE table_schema = :schema AND table_type = 'BASE TABLE'"
                    ),
                    {"schema": template},
                ).scalars()
            )
            seeded = [
                table
                for table in tables
                if connection.scalar(text(f'SELECT EXISTS (SELECT FROM "{template}"."{table}")'))
            ]
            sequences = connection.execute(
                text(
                    "SELECT sequence_name FROM information_schema.sequences"
                    " WHERE sequence_schema = :schema"
                ),
                {"schema": template},
            ).scalars()
            states = {
                sequence: connection.execute(
                    text(f'SELECT last_value, is_called FROM "{template}"."{sequence}"')
                ).one()
                for sequence in list(sequences)
            }
        return [
            # A connection an earlier test left can neither hold a lock the reset waits
            # for nor write into this test's rows.
            self._end_connections(),
            # Foreign keys go unchecked while the tables are emptied in any order
            # (a superuser's setting, as the test server's postgres user is).
            "SET LOCAL session_replication_role = replica",
            *(f'DELETE FROM "{work}"."{table}"' for table in tables),
            *(f'INSERT INTO "{work}"."{t}" SELECT * FROM "{template}"."{t}"' for t in seeded),
            *(
                f'SELECT setval(\'"{work}"."{sequence}"\', {last}, {str(called).lower()})'
                for sequence, (last, called) in states.items()
            ),
        ]
