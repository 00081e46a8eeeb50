"""``hub archive verify``: check a folder of archive files against their signature and the log.

For each file: the hub's signature over its manifest, the manifest's hash of ``rows.json``,
each body's and copy's SHA-256 against ``rows.json``, and each row against the log (its
``sha256``, ``prev_hash`` and ``chain_hash``, and that the log names this file). Then the
other way: every archive the log names must be in the folder and hold every row the log
says it holds. The log's own links are ``hub verify-log``'s to check.
"""

import hashlib
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.archive.bundle import MANIFEST_ENTRY, ROWS_ENTRY, Manifest, read_manifest
from hub.archive.shelf import open_archive
from hub.errors import HubError
from hub.sealing import PrivateKey, SealingError
from hub.store import MessageLog
from schemas import parse_xml
from signing import SigningError, Verifier

__all__ = ["ArchiveReport", "verify_archives"]

#: The files ``hub archive`` writes (a sealed one ends in ``.sealed``).
_ARCHIVE_FILE = re.compile(r"hub-archive-\d{8}T\d{6}Z\.zip(\.sealed)?")
#: A row of ``rows.json`` as ``json`` reads it; the signed manifest vouches for its shape.
_Row = dict[str, Any]
_Rows = dict[str, list[_Row]]
#: The columns of a row the archive must agree on with the log.
_LINK_COLUMNS = ("sha256", "prev_hash", "chain_hash")


@dataclass
class ArchiveReport:
    """What a check found: files and messages checked, and each difference named."""

    archives: int = 0
    messages: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.differences


def verify_archives(
    session: Session, directory: Path, *, verifier: Verifier, key: PrivateKey | None = None
) -> ArchiveReport:
    """Check every archive file in ``directory`` and every archive the log names.

    ``key`` opens sealed archives; a sealed one without it is named as unreadable.
    """
    report = ArchiveReport()
    present: set[str] = set()
    for path in sorted(directory.iterdir()):
        if path.name.endswith(".partial"):
            report.differences.append(f"{path.name}: left by an interrupted run; delete it")
        elif _ARCHIVE_FILE.fullmatch(path.name):
            present.add(path.name)
            report.archives += 1
            report.differences.extend(_check_file(session, path, verifier, key, report))
    named = session.execute(
        select(MessageLog.archive_name, func.count())
        .where(MessageLog.archive_name.is_not(None))
        .group_by(MessageLog.archive_name)
    ).all()
    for name, count in named:
        if name not in present:
            report.differences.append(
                f"{name}: named by {count} message(s) in the log but not in {directory}"
            )
    return report


def _check_file(
    session: Session, path: Path, verifier: Verifier, key: PrivateKey | None, report: ArchiveReport
) -> Iterator[str]:
    name = path.name
    try:
        with open_archive(path, key) as archive:
            manifest = read_manifest(parse_xml(archive.read(MANIFEST_ENTRY)), verifier)
            rows = archive.read(ROWS_ENTRY)
            if manifest.name != name:
                yield f"{name}: its signed manifest names {manifest.name} (file renamed?)"
            if not manifest.rows_match(rows):
                yield f"{name}: {ROWS_ENTRY} does not match the signed manifest (altered)"
                return
            content = json.loads(rows)
            yield from _check_counts(name, manifest, content)
            for message in content["messages"]:
                report.messages += 1
                yield from _check_bodies(name, archive, message)
    except (
        OSError,
        KeyError,
        ValueError,
        zipfile.BadZipFile,
        SigningError,
        SealingError,
        HubError,
    ) as exc:
        yield f"{name}: not a readable, hub-signed archive ({type(exc).__name__}: {exc})"
        return
    yield from _check_against_log(session, name, content["messages"])


def _check_counts(name: str, manifest: Manifest, content: _Rows) -> Iterator[str]:
    held, signed = len(content["messages"]), manifest.messages
    if held != signed:
        yield f"{name}: holds {held} message(s), its manifest says {signed}"
    held, signed = len(content["rejections"]), manifest.rejections
    if held != signed:
        yield f"{name}: holds {held} rejection(s), its manifest says {signed}"


def _check_bodies(name: str, archive: zipfile.ZipFile, message: _Row) -> Iterator[str]:
    body = archive.read(message["body"])
    if hashlib.sha256(body).hexdigest() != message["sha256"]:
        yield f"{name}: message {message['hub_id']}: the body does not match its SHA-256"
    for delivery in message["deliveries"]:
        payload = archive.read(delivery["payload"])
        if hashlib.sha256(payload).hexdigest() != delivery["payload_sha256"]:
            yield f"{name}: delivery {delivery['id']}: the copy does not match its SHA-256"


def _check_against_log(session: Session, name: str, messages: list[_Row]) -> Iterator[str]:
    held = {int(m["hub_id"]): m for m in messages}
    logged = {
        row.id: row
        for row in session.scalars(
            # A range, not a list of ids: one archive may hold more ids than a query may bind.
            select(MessageLog).where(
                MessageLog.id.between(min(held, default=0), max(held, default=0))
                | (MessageLog.archive_name == name)
            )
        )
    }
    for hub_id, message in held.items():
        row = logged.get(hub_id)
        if row is None:
            yield f"{name}: message {hub_id} is not in the log"
            continue
        for column in _LINK_COLUMNS:
            if getattr(row, column) != message[column]:
                yield f"{name}: message {hub_id}: {column} differs from the log"
        if row.archive_name is None:
            yield (
                f"{name}: message {hub_id}: the log does not name this archive "
                "(an orphan of an interrupted run: delete this file)"
            )
        elif row.archive_name != name:
            yield (
                f"{name}: message {hub_id}: the log names archive {row.archive_name} "
                "(an orphan of an interrupted run: delete this file)"
            )
    for hub_id, row in logged.items():
        if row.archive_name == name and hub_id not in held:
            yield f"{name}: message {hub_id}: the log names this archive but it does not hold it"
