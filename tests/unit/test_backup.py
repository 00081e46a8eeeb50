"""The backup file itself: a consistent SQLite copy while a writer is busy, and a restore that
checks its manifest before it writes anything.

Real SQLite files and sealed tars; the passphrase at the lowest scrypt cost.
"""

import io
import sqlite3
import tarfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.backup import BACKUP_FILE, BackupRefused, BackupSources, restore_backup, write_backup
from hub.sealing import Passphrase, seal_file, unseal_file

PASSPHRASE = Passphrase("a passphrase long enough", log2_cost=14)


@pytest.fixture
def sources(tmp_path: Path) -> BackupSources:
    """A data folder with a SQLite database in WAL mode, a PKI file, a bundle, and rules."""
    data = tmp_path / "var"
    (data / "pki" / "ca").mkdir(parents=True)
    (data / "pki" / "ca" / "ca.pem").write_bytes(b"the CA")
    (data / "partners" / "kdn").mkdir(parents=True)
    (data / "partners" / "kdn" / "api-key").write_bytes(b"kdn's key")
    (tmp_path / "regions").mkdir()
    (tmp_path / "regions" / "kamchatka.yaml").write_text("region: kamchatka\n")
    (tmp_path / "routing.yaml").write_text("message_types: {}\n")
    with sqlite3.connect(data / "hub.db") as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE message_log (id INTEGER PRIMARY KEY)")
        connection.execute("INSERT INTO message_log VALUES (1)")
    connection.close()
    return BackupSources(
        data_dir=data,
        database_url=f"sqlite:///{data / 'hub.db'}",
        routing_rules=tmp_path / "routing.yaml",
        regions_dir=tmp_path / "regions",
    )


@pytest.fixture
def busy_writer(sources: BackupSources) -> Iterator[sqlite3.Connection]:
    """A connection holding the write lock with an uncommitted row, as a busy hub does."""
    writer = sqlite3.connect(sources.data_dir / "hub.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO message_log VALUES (2)")
    yield writer
    writer.execute("ROLLBACK")
    writer.close()


def _ids(database: Path) -> list[int]:
    connection = sqlite3.connect(database)
    try:
        return [row[0] for row in connection.execute("SELECT id FROM message_log ORDER BY id")]
    finally:
        connection.close()


def test_a_backup_taken_beside_a_busy_writer_holds_what_was_committed(
    sources: BackupSources, busy_writer: sqlite3.Connection, tmp_path: Path
) -> None:
    manifest = write_backup(sources, tmp_path / "backup", PASSPHRASE, now=datetime.now(UTC))
    restored = restore_backup(
        tmp_path / "backup", PASSPHRASE, data_dir=tmp_path / "new", database_url=None
    )

    assert _ids(tmp_path / "new" / "hub.db") == [1]
    assert sorted(manifest.members) == [
        "data/partners/kdn/api-key",
        "data/pki/ca/ca.pem",
        "database/hub.db",
        "rules/regions/kamchatka.yaml",
        "rules/routing.yaml",
    ]
    assert (tmp_path / "new" / "pki" / "ca" / "ca.pem").read_bytes() == b"the CA"
    assert restored.regions_dir.joinpath("kamchatka.yaml").read_text() == "region: kamchatka\n"
    assert [p.name for p in sources.data_dir.iterdir() if p.name.startswith(".")] == []


def _resealed_with(backup: Path, tmp_path: Path, name: str, content: bytes) -> None:
    """Open the backup, put ``content`` in the tar as ``name``, seal it again."""
    plain = tmp_path / "plain.tar"
    unseal_file(backup / BACKUP_FILE, plain, PASSPHRASE)
    with tarfile.open(plain, "a") as tar:
        member = tarfile.TarInfo(name)
        member.size = len(content)
        tar.addfile(member, io.BytesIO(content))
    seal_file(plain, backup / BACKUP_FILE, PASSPHRASE)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("data/pki/ca/ca.pem", "does not match its SHA-256"),
        ("data/pki/ca/extra.pem", "that its manifest does not list"),
    ],
)
def test_a_member_the_manifest_does_not_vouch_for_restores_nothing(
    sources: BackupSources, tmp_path: Path, name: str, reason: str
) -> None:
    # Given a backup whose tar was changed by someone holding the passphrase
    write_backup(sources, tmp_path / "backup", PASSPHRASE, now=datetime.now(UTC))
    _resealed_with(tmp_path / "backup", tmp_path, name, b"a forged CA")

    with pytest.raises(BackupRefused, match=reason):
        restore_backup(
            tmp_path / "backup", PASSPHRASE, data_dir=tmp_path / "new", database_url=None
        )

    assert not (tmp_path / "new").exists()


def test_a_sqlite_backup_is_not_restored_into_a_server(
    sources: BackupSources, tmp_path: Path
) -> None:
    write_backup(sources, tmp_path / "backup", PASSPHRASE, now=datetime.now(UTC))

    with pytest.raises(BackupRefused, match="unset DATABASE_URL"):
        restore_backup(
            tmp_path / "backup",
            PASSPHRASE,
            data_dir=tmp_path / "new",
            database_url="postgresql+psycopg://hub@db/hub",
        )
    assert not (tmp_path / "new").exists()
