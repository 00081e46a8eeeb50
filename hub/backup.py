"""Backups: one sealed file with the database, the keys, the partner bundles and the rules.

X-Road's model (user guide §13): a backup holds everything a new machine needs to carry
on, keys included, so it is sealed (``hub.sealing``) before it leaves the hub. Inside the
seal is a tar whose ``manifest.json`` names every other member with its SHA-256::

    manifest.json                  format, time, database kind (and schema), member hashes
    database/hub.db                SQLite, copied with the online backup API, or
    database/hub.pgdump            pg_dump's custom format, of the hub's one schema
    data/pki/…, data/partners/…    the PKI (CA, hub key, CRL) and every partner's bundle
    rules/routing.yaml, rules/regions/*.yaml    the routing and region rules in use

The broker holds nothing the outbox does not: a restored hub's sweeper sends every row
still pending. Restoring checks the seal and every hash before it writes anything, and
refuses a target that holds data.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final, Literal

from cryptography import x509
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from hub.sealing import Passphrase, PrivateKey, seal_file, unseal_file
from hub.store import make_engine

__all__ = [
    "BACKUP_FILE",
    "BackupRefused",
    "BackupSources",
    "Manifest",
    "RestoredHub",
    "restore_backup",
    "write_backup",
]

#: The one file ``hub backup DIR`` writes into DIR.
BACKUP_FILE: Final = "hub-backup.sealed"
_FORMAT: Final = "hub-backup/1"
_MANIFEST: Final = "manifest.json"
_SQLITE_MEMBER: Final = "database/hub.db"
_PGDUMP_MEMBER: Final = "database/hub.pgdump"
_DATA_FOLDERS: Final = ("pki", "partners")
_ROUTING_MEMBER: Final = "rules/routing.yaml"
_REGIONS_MEMBER: Final = "rules/regions"
_PG_DUMP: Final = "pg_dump"
_PG_RESTORE: Final = "pg_restore"
_HASH_BLOCK_BYTES: Final = 1024 * 1024

DatabaseKind = Literal["sqlite", "postgresql"]


class BackupRefused(Exception):
    """A backup or restore that cannot go ahead; the message says why, in one line."""


@dataclass(frozen=True)
class BackupSources:
    """What a backup copies: the data folder, the database, and the rule files in use."""

    data_dir: Path
    database_url: str
    routing_rules: Path
    regions_dir: Path


@dataclass(frozen=True)
class Manifest:
    """The backup's table of contents: each member's SHA-256, and how to read the database."""

    created_at: datetime
    database: DatabaseKind
    #: The PostgreSQL schema dumped (its tables are restored into the same name).
    schema: str | None
    members: Mapping[str, str]

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "format": _FORMAT,
                "created_at": self.created_at.isoformat(),
                "database": self.database,
                "schema": self.schema,
                "members": dict(sorted(self.members.items())),
            },
            indent=2,
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> "Manifest":
        try:
            data = json.loads(raw)
            if data["format"] != _FORMAT:
                raise BackupRefused(f"backup format {data['format']!r} is not {_FORMAT!r}")
            return cls(
                created_at=datetime.fromisoformat(data["created_at"]),
                database=data["database"],
                schema=data["schema"],
                members=dict(data["members"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupRefused(f"the backup's manifest is unreadable: {exc}") from None


@dataclass(frozen=True)
class RestoredHub:
    """Where a restore put the hub: its database URL, data folder and rules."""

    manifest: Manifest
    database_url: str
    data_dir: Path
    routing_rules: Path
    regions_dir: Path


def write_backup(
    sources: BackupSources, target: Path, to: Passphrase | x509.Certificate, *, now: datetime
) -> Manifest:
    """Seal a backup of ``sources`` into ``target``/``BACKUP_FILE``; its manifest.

    ``target`` must be missing or empty. The hub may keep running: SQLite is copied with
    its online backup API, PostgreSQL with ``pg_dump`` (both one consistent snapshot).
    Plaintext is staged in a private temporary folder in the data folder, then removed.

    Raises:
        BackupRefused: ``target`` holds files, or the database could not be copied.
        UnsupportedKey: ``to`` is a certificate that cannot seal (GOST).
    """
    _require_empty(target)
    target.mkdir(parents=True, exist_ok=True)
    # Beside the database, which is in the clear there anyway; not on the backup's volume.
    with _staging(sources.data_dir) as staging:
        members: dict[str, Path] = {}
        kind, schema = _dump_database(sources.database_url, staging, members)
        for folder in _DATA_FOLDERS:
            _collect(sources.data_dir / folder, f"data/{folder}", members)
        members[_ROUTING_MEMBER] = sources.routing_rules
        for region in sorted(sources.regions_dir.glob("*.yaml")):
            members[f"{_REGIONS_MEMBER}/{region.name}"] = region
        manifest = Manifest(
            created_at=now,
            database=kind,
            schema=schema,
            members={name: _sha256(path) for name, path in members.items()},
        )
        (staging / _MANIFEST).write_bytes(manifest.to_json())
        bundle = staging / "backup.tar"
        with tarfile.open(bundle, "w") as tar:
            tar.add(staging / _MANIFEST, arcname=_MANIFEST)
            for name, path in sorted(members.items()):
                tar.add(path, arcname=name, recursive=False)
        seal_file(bundle, target / BACKUP_FILE, to)
    return manifest


def restore_backup(
    source: Path,
    key: Passphrase | PrivateKey,
    *,
    data_dir: Path,
    database_url: str | None,
) -> RestoredHub:
    """Open the backup in ``source`` and restore it under ``data_dir`` (and ``database_url``).

    Nothing is written to ``data_dir`` or the database until the seal and every member's
    hash are checked. A SQLite backup goes to ``data_dir``/hub.db; a PostgreSQL one needs
    ``database_url``, whose schema must hold no table yet; a SQLite one wants it None.

    Raises:
        BackupRefused: no backup in ``source``, a target that holds data, a member missing
            or altered, or the database could not be restored.
        SealingError: the key does not open the backup, or it was altered or truncated.
    """
    sealed = source / BACKUP_FILE
    if not sealed.is_file():
        raise BackupRefused(f"no {BACKUP_FILE} in {source}")
    _require_empty(data_dir)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with _staging(data_dir.parent) as staging:
        bundle = staging / "backup.tar"
        unseal_file(sealed, bundle, key)
        unpacked = staging / "unpacked"
        manifest = _unpack(bundle, unpacked)
        target_url = _restore_database(manifest, unpacked, data_dir, database_url)
        for folder in _DATA_FOLDERS:
            if (unpacked / "data" / folder).is_dir():
                shutil.copytree(unpacked / "data" / folder, data_dir / folder)
        shutil.copytree(unpacked / "rules", data_dir / "rules")
    return RestoredHub(
        manifest=manifest,
        database_url=target_url,
        data_dir=data_dir,
        routing_rules=data_dir / _ROUTING_MEMBER,
        regions_dir=data_dir / _REGIONS_MEMBER,
    )


def _require_empty(folder: Path) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupRefused(f"{folder} is not an empty folder")


@contextmanager
def _staging(within: Path) -> Iterator[Path]:
    """A private (0700) temporary folder in ``within``, removed after."""
    folder = Path(tempfile.mkdtemp(prefix=".hub-backup-", dir=within))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _collect(folder: Path, prefix: str, members: dict[str, Path]) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            members[f"{prefix}/{path.relative_to(folder).as_posix()}"] = path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(_HASH_BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def _dump_database(
    url: str, staging: Path, members: dict[str, Path]
) -> tuple[DatabaseKind, str | None]:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        copy = staging / "hub.db"
        _sqlite_online_copy(Path(parsed.database or ""), copy)
        members[_SQLITE_MEMBER] = copy
        return "sqlite", None
    schema = _current_schema(url)
    dump = staging / "hub.pgdump"
    options = ["--format=custom", "--no-owner", "--no-privileges", f"--schema={schema}"]
    _run([_PG_DUMP, *options, f"--file={dump}"], parsed, what="pg_dump")
    members[_PGDUMP_MEMBER] = dump
    return "postgresql", schema


def _sqlite_online_copy(database: Path, copy: Path) -> None:
    if not database.is_file():
        raise BackupRefused(f"no SQLite database at {database}")
    source = sqlite3.connect(database)
    target = sqlite3.connect(copy)
    try:
        # One step (all pages at once) holds one read transaction: a consistent snapshot
        # while the hub goes on writing to the WAL.
        source.backup(target)
    finally:
        target.close()
        source.close()


def _current_schema(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            schema = connection.scalar(text("SELECT current_schema()"))
    finally:
        engine.dispose()
    if not schema:
        raise BackupRefused("the database URL's search_path names no existing schema")
    return str(schema)


def _unpack(bundle: Path, unpacked: Path) -> Manifest:
    """Extract the tar and check it against its manifest: every member, nothing else."""
    with tarfile.open(bundle) as tar:
        # "data": no absolute paths, no "..", no links out, no devices (PEP 706).
        tar.extractall(unpacked, filter="data")
    if not (unpacked / _MANIFEST).is_file():
        raise BackupRefused(f"the backup has no {_MANIFEST}")
    manifest = Manifest.from_json((unpacked / _MANIFEST).read_bytes())
    found = {p.relative_to(unpacked).as_posix() for p in unpacked.rglob("*") if not p.is_dir()}
    found.discard(_MANIFEST)
    if missing := sorted(set(manifest.members) - found):
        raise BackupRefused(f"the backup lacks {missing[0]} that its manifest lists")
    if extra := sorted(found - set(manifest.members)):
        raise BackupRefused(f"the backup holds {extra[0]} that its manifest does not list")
    for name, digest in manifest.members.items():
        if _sha256(unpacked / name) != digest:
            raise BackupRefused(f"{name} does not match its SHA-256 in the manifest")
    if _ROUTING_MEMBER not in manifest.members:
        raise BackupRefused(f"the backup lacks {_ROUTING_MEMBER}")
    return manifest


def _restore_database(
    manifest: Manifest, unpacked: Path, data_dir: Path, database_url: str | None
) -> str:
    if manifest.database == "sqlite":
        if database_url is not None:
            raise BackupRefused("a SQLite backup restores into the data folder: unset DATABASE_URL")
        data_dir.mkdir(parents=True, exist_ok=True)
        database = data_dir / "hub.db"
        shutil.copyfile(unpacked / _SQLITE_MEMBER, database)
        return f"sqlite:///{database.resolve()}"
    if database_url is None or make_url(database_url).get_backend_name() != "postgresql":
        raise BackupRefused("a PostgreSQL backup needs the target's URL (DATABASE_URL)")
    assert manifest.schema is not None, "a PostgreSQL manifest names its schema"
    schema_exists = _require_empty_schema(database_url, manifest.schema)
    dump = unpacked / _PGDUMP_MEMBER
    target = make_url(database_url)
    # pg_restore wants --dbname; the rest of the connection (password too) is in libpq's
    # environment.
    arguments = [_PG_RESTORE, f"--dbname={target.database}", "--no-owner", "--no-privileges"]
    arguments += ["--exit-on-error", "--single-transaction", str(dump)]
    if schema_exists:
        # pg_dump writes CREATE SCHEMA for the schema it was asked for (``public`` too):
        # restore every entry but that one, into the empty schema already there.
        listing = _run([_PG_RESTORE, "--list", str(dump)], None, what="pg_restore --list")
        kept = [line for line in listing.splitlines() if not _creates_schema(line)]
        entries = unpacked / "entries.list"
        entries.write_text("\n".join(kept) + "\n", encoding="utf-8")
        arguments.insert(-1, f"--use-list={entries}")
    _run(arguments, target, what="pg_restore")
    data_dir.mkdir(parents=True, exist_ok=True)
    return database_url


def _creates_schema(listing_line: str) -> bool:
    # "4; 2615 2200 SCHEMA - public owner" and the schema's COMMENT entry.
    fields = listing_line.split()
    return len(fields) > 3 and (fields[3] == "SCHEMA" or fields[3:5] == ["COMMENT", "-"])


def _require_empty_schema(url: str, schema: str) -> bool:
    """Whether ``schema`` exists in the target (it must hold no table, and be the one the
    URL's search_path reaches)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            tables = connection.scalar(
                text("SELECT count(*) FROM information_schema.tables WHERE table_schema = :s"),
                {"s": schema},
            )
            exists = connection.scalar(
                text("SELECT count(*) FROM pg_namespace WHERE nspname = :s"), {"s": schema}
            )
            path = str(connection.scalar(text("SELECT current_setting('search_path')")))
            user = str(connection.scalar(text("SELECT current_user")))
    finally:
        engine.dispose()
    if tables:
        raise BackupRefused(f"the target schema {schema!r} already holds {tables} table(s)")
    reached = [part.strip().strip('"').replace("$user", user) for part in path.split(",")]
    if schema not in reached:
        raise BackupRefused(
            f"the backup is of schema {schema!r}; the target URL's search_path is {path}"
        )
    return bool(exists)


def _run(arguments: list[str], url: URL | None, *, what: str) -> str:
    """Run a PostgreSQL client with the connection in libpq's environment, never on its
    command line (where ``ps`` would show the password); its stdout."""
    environment = dict(os.environ)
    if url is not None:
        environment.update(_libpq_environment(url))
    done = subprocess.run(  # noqa: S603 — a fixed client and arguments, no shell
        arguments, env=environment, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupRefused(f"{what} failed: {last}")
    return done.stdout


def _libpq_environment(url: URL) -> dict[str, str]:
    names = {
        "PGHOST": url.host,
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
        "PGOPTIONS": _query_value(url, "options"),
        "PGAPPNAME": _query_value(url, "application_name"),
    }
    return {name: value for name, value in names.items() if value}


def _query_value(url: URL, name: str) -> str | None:
    value = url.query.get(name)
    return value if isinstance(value, str) or value is None else value[-1]
