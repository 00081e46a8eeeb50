"""The school side of the adapter: a watcher that sends the files a school drops in its inbox.

For each finished file in ``inbox/`` (see ``folders``), oldest first: parse → translate every
message → sign and send each with ``HubClient`` → move the file to ``processed/``. A file
with any bad cell is sent not at all: it goes to ``rejected/`` beside ``<name>.errors.csv``,
which lists each bad row and column. The folders are the state:

- A file is moved only after the hub accepted every message in it; a hub
  ``replay.duplicate`` counts as accepted. MessageIds are uuid5 of the school, the file name,
  the file's SHA-256 and the row, so after a crash between the send and the move the same
  file yields the same MessageIds: the hub answers duplicate and the file is moved, once.
- The hub unreachable: the file stays in the inbox and the scan stops; the next scan
  resends it (duplicates for what got through).
- The hub refusing a message (4xx other than duplicate) is not the school's to retry as is:
  the file goes to ``rejected/`` and the report names the refused rows and the hub's code;
  rows not listed were accepted.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Literal, Protocol

from lxml import etree

import schemas
from adapters.education import csvfile
from adapters.education.columns import (
    ERRORS_SUFFIX,
    INBOUND_KINDS,
    REPORT_COLUMNS,
    FileKind,
    kind_of,
)
from adapters.education.folders import (
    SETTLE_S,
    ExchangeFolder,
    free_name,
    move_unique,
    ready_files,
    write_atomically,
)
from adapters.education.rows import RowError
from adapters.education.translate import message_id_for, records, to_canonical
from adapters.hub_client import HubRefused, HubUnreachable, SendReceipt

__all__ = [
    "ERRORS_SUFFIX",
    "FileOutcome",
    "HubSender",
    "InboundGateway",
    "SentMessage",
    "error_report",
]

_log = logging.getLogger(__name__)


class HubSender(Protocol):
    """What the gateway needs of ``HubClient``."""

    def send(self, envelope: etree._Element) -> SendReceipt: ...


@dataclass(frozen=True)
class SentMessage:
    """One message of a file that the hub has (``duplicate``: it had it already)."""

    row: int
    message_id: str
    message_type: str
    duplicate: bool


@dataclass(frozen=True)
class FileOutcome:
    """What became of one inbox file in a scan.

    ``status``: ``processed`` (moved to processed/), ``rejected`` (moved to rejected/ with a
    report) or ``deferred`` (left in the inbox: the hub was unreachable).
    """

    file: str
    status: Literal["processed", "rejected", "deferred"]
    sent: tuple[SentMessage, ...] = ()
    errors: tuple[RowError, ...] = ()
    moved_to: Path | None = None


class InboundGateway:
    """Sends one school's inbox files to the hub; ``scan_once`` is one pass over the inbox.

    Parameters:
        folder: the school's exchange folder (its sub-folders must exist).
        hub: the partner's hub client (signs with the ``education`` key).
        zone: the school's time zone: local times in its files are read in it.
        settle_s: how long a file must be unchanged before it is read.
    """

    def __init__(
        self,
        folder: ExchangeFolder,
        hub: HubSender,
        *,
        zone: tzinfo,
        settle_s: float = SETTLE_S,
        clock: Callable[[tzinfo], datetime] = datetime.now,
    ) -> None:
        self._folder = folder
        self._hub = hub
        self._zone = zone
        self._settle_s = settle_s
        self._clock = clock

    def scan_once(self) -> list[FileOutcome]:
        """Process every finished inbox file, oldest first; stop at the first deferred one."""
        outcomes: list[FileOutcome] = []
        for path in ready_files(self._folder.inbox, settle_s=self._settle_s):
            outcome = self.process(path)
            if outcome is None:
                continue
            outcomes.append(outcome)
            if outcome.status == "deferred":
                break
        return outcomes

    def process(self, path: Path) -> FileOutcome | None:
        """Send one inbox file and move it; ``None`` if it vanished before it was read.

        Raises:
            OSError: the file could not be moved or its report written; it stays in the
                inbox and the next scan tries again.
        """
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        kind = kind_of(path.name)
        if kind is None or kind.prefix not in INBOUND_KINDS:
            expected = ", ".join(f"{prefix}_*.csv" for prefix in INBOUND_KINDS)
            return self._reject(path, [RowError(1, "", f"unknown file kind; expected {expected}")])
        messages, errors = self._translate(path.name, raw, kind)
        if errors:
            return self._reject(path, errors)
        sent: list[SentMessage] = []
        refused: list[RowError] = []
        for row, envelope in messages:
            header = schemas.read_header(envelope)
            try:
                receipt = self._hub.send(envelope)
            except HubUnreachable as exc:
                _log.info("%s: hub unreachable (%s); kept in the inbox", path.name, exc)
                return FileOutcome(path.name, "deferred", tuple(sent))
            except HubRefused as exc:
                _log.warning("%s row %d: hub refused %s", path.name, row, exc.code)
                refused.append(RowError(row, "", f"refused by the hub: {exc.code}"))
                continue
            sent.append(SentMessage(row, header.message_id, header.message_type, receipt.duplicate))
        if refused:
            return self._reject(path, refused, tuple(sent))
        moved_to = move_unique(path, self._folder.processed)
        _log.info("%s: %d message(s) sent, moved to processed", path.name, len(sent))
        return FileOutcome(path.name, "processed", tuple(sent), moved_to=moved_to)

    def _translate(
        self, name: str, raw: bytes, kind: FileKind
    ) -> tuple[list[tuple[int, etree._Element]], list[RowError]]:
        """Every message of the file, or every bad row (one error per message at most)."""
        try:
            rows = csvfile.parse(raw, kind.columns)
            groups = records(kind, rows)
        except RowError as exc:
            return [], [exc]
        if not groups:
            return [], [RowError(2, "", "no data rows")]
        digest = hashlib.sha256(raw).hexdigest()
        now = self._clock(self._zone)
        messages: list[tuple[int, etree._Element]] = []
        errors: list[RowError] = []
        for group in groups:
            row = group[0].number
            message_id = message_id_for(self._folder.school, name, digest, row)
            try:
                envelope = to_canonical(kind, group, message_id=message_id, now=now)
                # The hub validates too; checking here keeps a file from being half sent.
                schemas.validate_envelope(envelope)
                schemas.validate_payload(envelope, schemas.read_header(envelope))
            except RowError as exc:
                errors.append(exc)
            except schemas.SchemaError as exc:
                errors.append(RowError(row, "", f"not valid for the hub: {exc}"))
            else:
                messages.append((row, envelope))
        return messages, errors

    def _reject(
        self, path: Path, errors: Sequence[RowError], sent: tuple[SentMessage, ...] = ()
    ) -> FileOutcome:
        target = free_name(self._folder.rejected, path.name)
        # The report first: a crash before the move leaves the file to be rejected again,
        # and the report is overwritten with the same content.
        report = target.with_name(target.name + ERRORS_SUFFIX)
        write_atomically(report, error_report(errors))
        moved_to = move_unique(path, self._folder.rejected)
        _log.warning("%s: rejected with %d error(s)", path.name, len(errors))
        return FileOutcome(path.name, "rejected", sent, tuple(errors), moved_to)


def error_report(errors: Sequence[RowError]) -> bytes:
    """The ``.errors.csv`` of a rejected file: row, column and reason of each error."""
    rows = [
        dict(zip(REPORT_COLUMNS, (str(e.row), e.column, e.reason), strict=True)) for e in errors
    ]
    return csvfile.encode(csvfile.render(rows), "utf-8")
