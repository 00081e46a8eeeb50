"""``hub archive``: move old message bodies out of the log into one signed archive file.

A message is archived when it was received before the given date and before its type's
retention, is not archived yet, and every delivery of it is delivered or cancelled (a
failure or dead letter stays until handled). Its original bytes and its outbound copies'
payloads go into the file with their metadata and chain links; rejections older than the
default retention move there whole (they hold no payload).

Crash safety: the file is written under a ``.partial`` name, fsynced and renamed (the
folder fsynced too) before the one transaction that empties the bodies and names the file
in the log. A crash between the two leaves an orphan file that the log does not name:
the next run archives the same messages again into a new file, and ``hub archive verify``
names the orphan, which may be deleted.
"""

import hashlib
import os
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import ColumnElement, and_, delete, exists, or_, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from hub.archive.bundle import (
    MANIFEST_ENTRY,
    ROWS_ENTRY,
    Manifest,
    body_entry,
    dump_rows,
    payload_entry,
    sign_manifest,
)
from hub.archive.retention import Retention
from hub.errors import HubError
from hub.store import DeliveryStatus, MessageLog, OutboxDelivery, Rejection
from signing import Signer

__all__ = [
    "DEFAULT_LIMIT",
    "ArchiveWritten",
    "LogChangedDuringArchive",
    "Seal",
    "write_archive",
]

#: Messages (and, apart, rejections) one archive file takes at most; run again for more.
DEFAULT_LIMIT = 20_000
#: Rows loaded, and ids updated, per round trip.
_BATCH = 500
#: The delivery states that end a delivery: only then may its message be archived.
_SETTLED = (DeliveryStatus.DELIVERED, DeliveryStatus.CANCELLED)

#: Seals the plain archive at the first path into the second (``hub.sealing``).
Seal = Callable[[Path, Path], None]


class LogChangedDuringArchive(HubError):
    """Rows chosen for the file were archived by another run meanwhile; nothing was emptied."""


@dataclass(frozen=True)
class ArchiveWritten:
    """One archive file written and its bodies emptied in the log."""

    path: Path
    messages: int
    deliveries: int
    rejections: int


def write_archive(
    sessions: sessionmaker[Session],
    *,
    before: datetime,
    now: datetime,
    out_dir: Path,
    retention: Retention | None,
    signer: Signer,
    seal: Seal | None = None,
    limit: int = DEFAULT_LIMIT,
) -> ArchiveWritten | None:
    """Archive what is due into a new file in ``out_dir``; None when nothing is due.

    Due: received before ``before`` and, with ``retention``, past its type's retention
    too; None is an operator's own cut (``hub archive --before``), ``before`` alone.

    Raises:
        FileExistsError: a file of this run's name is already there.
        LogChangedDuringArchive: another run archived some of the same rows first (the
            file written is removed; run again).
    """
    due = _due_messages(retention, before=before, now=now)
    rejections_due = Rejection.received_at < (
        before if retention is None else min(before, retention.default_cutoff(now=now))
    )
    with sessions() as session:
        ids = session.scalars(select(MessageLog.id).where(due).order_by(MessageLog.id).limit(limit))
        message_ids = list(ids)
        rejection_ids = list(
            session.scalars(
                select(Rejection.id).where(rejections_due).order_by(Rejection.id).limit(limit)
            )
        )
        if not message_ids and not rejection_ids:
            return None
        name = f"hub-archive-{now:%Y%m%dT%H%M%SZ}.zip" + (".sealed" if seal else "")
        target = out_dir / name
        if target.exists():
            raise FileExistsError(f"{target} exists; run again in a second")
        out_dir.mkdir(parents=True, exist_ok=True)
        plain = out_dir / f"{name}.plain.partial"
        manifest = _write_zip(session, plain, name, message_ids, rejection_ids, before, now, signer)
    if seal is not None:
        sealed = out_dir / f"{name}.partial"
        try:
            seal(plain, sealed)
        finally:
            plain.unlink()  # the bodies in clear never stay beside the sealed file
        plain = sealed
    _durably_rename(plain, target)
    try:
        with sessions.begin() as session:
            _empty_bodies(session, due, name, message_ids, rejection_ids, now)
    except LogChangedDuringArchive:
        target.unlink()
        raise
    return ArchiveWritten(target, manifest.messages, manifest.deliveries, manifest.rejections)


def _due_messages(
    retention: Retention | None, *, before: datetime, now: datetime
) -> ColumnElement[bool]:
    unsettled = exists().where(
        OutboxDelivery.message_log_id == MessageLog.id, OutboxDelivery.status.not_in(_SETTLED)
    )
    due = and_(MessageLog.archive_name.is_(None), MessageLog.received_at < before, ~unsettled)
    return due if retention is None else and_(due, _past_retention(retention, now=now))


def _past_retention(retention: Retention, *, now: datetime) -> ColumnElement[bool]:
    named = list(retention.by_type)
    return or_(
        *(
            and_(
                MessageLog.message_type == name,
                MessageLog.received_at < retention.cutoff(name, now=now),
            )
            for name in named
        ),
        and_(
            MessageLog.message_type.not_in(named),
            MessageLog.received_at < retention.default_cutoff(now=now),
        ),
    )


def _write_zip(
    session: Session,
    path: Path,
    name: str,
    message_ids: Sequence[int],
    rejection_ids: Sequence[int],
    before: datetime,
    now: datetime,
    signer: Signer,
) -> Manifest:
    messages: list[dict[str, object]] = []
    deliveries = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for start in range(0, len(message_ids), _BATCH):
            batch = session.scalars(
                select(MessageLog)
                .where(MessageLog.id.in_(message_ids[start : start + _BATCH]))
                .options(selectinload(MessageLog.deliveries))
                .order_by(MessageLog.id)
            ).all()
            for row in batch:
                archive.writestr(body_entry(row.id), row.raw)
                for delivery in row.deliveries:
                    archive.writestr(payload_entry(delivery.id), delivery.payload)
                deliveries += len(row.deliveries)
                messages.append(_message_facts(row))
            session.expunge_all()  # bodies written: keep memory flat over a large run
        rejections = [
            _rejection_facts(row)
            for row in session.scalars(
                select(Rejection).where(Rejection.id.in_(rejection_ids)).order_by(Rejection.id)
            )
        ]
        rows = dump_rows({"messages": messages, "rejections": rejections})
        archive.writestr(ROWS_ENTRY, rows)
        manifest = Manifest(
            name=name,
            created_at=now,
            before=before,
            messages=len(messages),
            deliveries=deliveries,
            rejections=len(rejections),
            rows_sha256=hashlib.sha256(rows).hexdigest(),
        )
        archive.writestr(MANIFEST_ENTRY, sign_manifest(manifest, signer))
    return manifest


def _message_facts(row: MessageLog) -> dict[str, object]:
    return {
        "hub_id": row.id,
        "message_id": row.message_id,
        "sender": row.sender,
        "message_type": row.message_type,
        "schema_version": row.schema_version,
        "priority": row.priority,
        "case_ref": row.case_ref,
        "correlation_id": row.correlation_id,
        "created_at": row.created_at.isoformat(),
        "received_at": row.received_at.isoformat(),
        "signer_fingerprint": row.signer_fingerprint,
        "sha256": row.sha256,
        "prev_hash": row.prev_hash,
        "chain_hash": row.chain_hash,
        "body": body_entry(row.id),
        "deliveries": [
            {
                "id": d.id,
                "recipient": d.recipient,
                "mode": d.mode.value,
                "status": d.status.value,
                "attempts": d.attempts,
                "created_at": d.created_at.isoformat(),
                "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None,
                "remote_reference": d.remote_reference,
                "removed_classes": d.removed_classes,
                "cancel_reason": d.cancel_reason,
                "payload": payload_entry(d.id),
                "payload_sha256": hashlib.sha256(d.payload).hexdigest(),
            }
            for d in row.deliveries
        ],
    }


def _rejection_facts(row: Rejection) -> dict[str, object]:
    return {
        "id": row.id,
        "received_at": row.received_at.isoformat(),
        "code": row.code,
        "status": row.status,
        "detail": row.detail,
        "authenticated_partner": row.authenticated_partner,
        "claimed_sender": row.claimed_sender,
        "claimed_message_id": row.claimed_message_id,
        "size_bytes": row.size_bytes,
        "sha256": row.sha256,
    }


def _durably_rename(partial: Path, target: Path) -> None:
    """Put the finished file at ``target`` so that a crash after this keeps it whole."""
    with partial.open("rb") as written:
        os.fsync(written.fileno())
    partial.rename(target)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a power cut only once the folder is synced
    finally:
        os.close(folder)


def _empty_bodies(
    session: Session,
    due: ColumnElement[bool],
    name: str,
    message_ids: Sequence[int],
    rejection_ids: Sequence[int],
    now: datetime,
) -> None:
    """In the caller's one transaction: empty what the file holds and name the file.

    Raises:
        LogChangedDuringArchive: a chosen row is no longer due (archived meanwhile).
    """
    for start in range(0, len(message_ids), _BATCH):
        chunk = message_ids[start : start + _BATCH]
        # Locks the rows on PostgreSQL; SQLite's write transaction is already exclusive.
        still_due = session.scalars(
            select(MessageLog.id).where(MessageLog.id.in_(chunk), due).with_for_update()
        ).all()
        if len(still_due) != len(chunk):
            raise LogChangedDuringArchive(f"messages {chunk[0]}…{chunk[-1]} changed; run again")
        session.execute(
            update(MessageLog)
            .where(MessageLog.id.in_(chunk))
            .values(raw=b"", archive_name=name, archived_at=now)
        )
        session.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.message_log_id.in_(chunk))
            .values(payload=b"")
        )
    for start in range(0, len(rejection_ids), _BATCH):
        chunk = rejection_ids[start : start + _BATCH]
        removed = session.execute(delete(Rejection).where(Rejection.id.in_(chunk)))
        if removed.rowcount != len(chunk):  # type: ignore[attr-defined]  # a CursorResult for DELETE
            raise LogChangedDuringArchive(f"rejections {chunk[0]}…{chunk[-1]} changed; run again")
