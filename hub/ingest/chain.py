"""The message log's hash chain: how a link is made, and a walk that finds the first broken one.

A link is ``chain_hash = SHA-256(ASCII(prev_hash + digest))``, so changing, removing or
reordering any stored message breaks every link after it. What ``digest`` covers depends
on the row's ``chain_version``: version 1 (rows logged before migration 0015, whose links
are never recomputed — that would launder any earlier edit) takes the SHA-256 of the
message's bytes only; version 2 takes the SHA-256 of ``link_record``, the canonical JSON of
every column of ``LINK_COLUMNS``, the bytes' hash among them. The chain head row holds the
last link and the length; signed checkpoints (``hub.ingest.checkpoint``) anchor it.

The walk reads the columns as the database driver returns them, not through the ORM's
types, so a value of the wrong type (text where bytes were, a number in a timestamp) is
named rather than crashing the walk.
"""

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives import hashes
from sqlalchemy import bindparam, func, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from hub.store import ChainHead, MessageLog
from schemas import EnvelopeHeader, parse_xml, read_header
from signing import find_unverified_certificate

#: The hash the chain starts from, before the first message.
GENESIS_HASH = "0" * 64
#: The link version ingest writes now.
CHAIN_VERSION = 2
#: The columns a version-2 link covers, in the order the walk reports them.
LINK_COLUMNS = (
    "message_id",
    "sender",
    "message_type",
    "schema_version",
    "priority",
    "case_ref",
    "correlation_id",
    "created_at",
    "received_at",
    "signer_fingerprint",
    "sha256",
)
_NULLABLE = frozenset({"case_ref", "correlation_id"})
_TIMESTAMPS = frozenset({"created_at", "received_at"})
#: Rows read per query while walking the log (each holds its message's bytes).
_BATCH = 500
_READ = ("id", "prev_hash", "chain_hash", "chain_version", "raw", "archive_name", *LINK_COLUMNS)
# Coerced to NullType: the driver's values as they are, without the columns' result
# processing (a text timestamp that does not parse would raise inside the ORM's).
_PAGE = (
    select(*(type_coerce(MessageLog.__table__.c[name], NullType()).label(name) for name in _READ))
    .where(MessageLog.id > bindparam("after"))
    .order_by(MessageLog.id)
    .limit(_BATCH)
)
_NEXT_PREV_HASH = (
    select(MessageLog.prev_hash)
    .where(MessageLog.id > bindparam("after"))
    .order_by(MessageLog.id)
    .limit(1)
)
_FIRST_ID_AFTER = select(func.min(MessageLog.id)).where(MessageLog.id > bindparam("after"))


class LinkInputInvalid(ValueError):
    """A column holds a value no link can be made from (wrong type, NULL, unknown version)."""

    def __init__(self, column: str, problem: str) -> None:
        super().__init__(f"{column} {problem}")
        self.column = column


def chain_link(prev_hash: str, digest: str) -> str:
    """The next link of the log's hash chain: SHA-256 over the previous link and ``digest``."""
    return hashlib.sha256(f"{prev_hash}{digest}".encode("ascii")).hexdigest()


def link_record(values: Mapping[str, object]) -> bytes:
    """The canonical encoding of a row's ``LINK_COLUMNS``: JSON, keys sorted, no spaces,
    ASCII; timestamps as UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` so SQLite and PostgreSQL give
    the same bytes.

    Raises:
        LinkInputInvalid: a column is missing, NULL where it may not be, or of the wrong type.
    """
    record: dict[str, object] = {"v": CHAIN_VERSION}
    for column in LINK_COLUMNS:
        record[column] = (
            _timestamp(values, column) if column in _TIMESTAMPS else _optional_text(values, column)
        )
    return json.dumps(record, sort_keys=True, separators=(",", ":")).encode("ascii")


def expected_link(values: Mapping[str, object]) -> str:
    """The ``chain_hash`` a log row's columns call for, whatever its ``chain_version``.

    ``values`` maps column names to values as the ORM or the database driver gives them:
    ``prev_hash``, ``chain_version`` and (version 2) every column of ``LINK_COLUMNS``.
    The message's bytes are not read: ``sha256`` stands for them.

    Raises:
        LinkInputInvalid: a value no link can be made from, naming its column.
    """
    return chain_link(_text(values, "prev_hash"), link_digest(values))


def link_digest(values: Mapping[str, object]) -> str:
    """What a row's link hashes after ``prev_hash``: its ``sha256`` column (version 1) or
    the SHA-256 of its ``link_record`` (version 2).

    Raises:
        LinkInputInvalid: as ``expected_link``.
    """
    version = values.get("chain_version")
    if version == 1 and isinstance(version, int):
        return _text(values, "sha256")
    if version == CHAIN_VERSION and isinstance(version, int):
        return hashlib.sha256(link_record(values)).hexdigest()
    raise LinkInputInvalid("chain_version", f"is {version!r}, not a known link version")


def header_columns(header: EnvelopeHeader) -> dict[str, object]:
    """The log's columns that come from the envelope's header, by column name."""
    return {
        "message_id": header.message_id,
        "sender": header.sender,
        "message_type": header.message_type,
        "schema_version": header.schema_version,
        "priority": header.priority,
        "case_ref": header.case_ref,
        "correlation_id": header.correlation_id,
        "created_at": header.created_at,
    }


def link_values(row: MessageLog) -> dict[str, object]:
    """The columns ``expected_link`` reads, from an ORM row."""
    names = ("prev_hash", "chain_version", *LINK_COLUMNS)
    return {name: getattr(row, name) for name in names}


@dataclass(frozen=True)
class Anchor:
    """A chain head the log must reach: ``length`` links ending in ``head_hash`` (a signed
    checkpoint whose signature was already checked); ``label`` names it in a verdict."""

    length: int
    head_hash: str
    label: str


@dataclass(frozen=True)
class ChainVerdict:
    """The outcome of a walk: how many links held, and the first that did not."""

    checked: int
    broken_at: int | None = None  # message_log.id of the first broken link
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.reason is None


def verify_chain(session: Session, anchors: Sequence[Anchor] = ()) -> ChainVerdict:
    """Walk the whole log in id order and check every link against its row's columns and
    bytes, the chain head, and that the chain reaches each anchor's head hash at its length.

    A consistent rewrite of the log (every link recomputed after some row) holds link by
    link, so an anchor is what catches it: the verdict then names the first row after the
    last anchor that still matched. Memory stays flat however long the log is.
    """
    pending = sorted(anchors, key=lambda anchor: anchor.length)
    previous, checked, last_id, confirmed_id, seen_v2 = GENESIS_HASH, 0, 0, 0, False
    while pending and pending[0].length == 0:  # signed before the first message
        anchor = pending.pop(0)
        if anchor.head_hash != GENESIS_HASH:
            return ChainVerdict(0, None, f"{anchor.label} signed no link but not the genesis")
    for row in _rows(session):
        reason = _broken(session, row, previous, seen_v2=seen_v2)
        if reason is not None:
            return ChainVerdict(checked, _int(row["id"]), reason)
        previous, last_id = str(row["chain_hash"]), _int(row["id"])
        seen_v2 = seen_v2 or row["chain_version"] == CHAIN_VERSION
        checked += 1
        while pending and pending[0].length <= checked:
            anchor = pending.pop(0)
            if anchor.head_hash != previous:
                first = session.execute(_FIRST_ID_AFTER, {"after": confirmed_id}).scalar_one()
                return ChainVerdict(
                    checked,
                    first,
                    f"the log was rewritten between message {first} and message {last_id}: "
                    f"its link at length {anchor.length} is not the head {anchor.label} signed",
                )
            confirmed_id = last_id
    if pending:
        return ChainVerdict(
            checked,
            last_id or None,
            f"the log ends after {checked} link(s) but {pending[0].label} signed "
            f"{pending[0].length}: messages after {last_id} were removed",
        )
    head = session.get_one(ChainHead, 1)
    if head.last_hash != previous or head.length != checked:
        return ChainVerdict(
            checked, last_id, "the chain head does not end where the log ends (rows removed?)"
        )
    return ChainVerdict(checked)


def bytes_problem(raw: object, sha256: object) -> str | None:
    """Why a row's stored bytes do not stand for its ``sha256`` column, or None."""
    if isinstance(raw, memoryview):
        raw = raw.tobytes()
    if not isinstance(raw, bytes):
        return f"raw holds {type(raw).__name__}, not bytes (the message was altered)"
    if hashlib.sha256(raw).hexdigest() != sha256:
        return "raw does not match sha256 (the message's bytes or their hash were altered)"
    return None


def _archived_row_problem(raw: object) -> str | None:
    """An archived row's bytes are in its archive file (``hub archive verify`` checks them
    there; its link still rests on ``sha256``), so here it must hold none: bytes beside an
    archive name would escape the check above."""
    if raw in (b"", memoryview(b"")):
        return None
    return "raw holds bytes although the row names an archive (archive_name was altered)"


def _rows(session: Session) -> Iterator[Mapping[str, object]]:
    connection = session.connection()
    after = 0
    while True:
        batch = connection.execute(_PAGE, {"after": after}).all()
        yield from (dict(zip(_READ, values, strict=True)) for values in batch)
        if len(batch) < _BATCH:
            return
        after = _int(batch[-1][0])


def _broken(
    session: Session, row: Mapping[str, object], previous: str, *, seen_v2: bool
) -> str | None:
    if row["prev_hash"] != previous:
        return "prev_hash is not the previous message's link (a message removed or reordered)"
    problem = (
        bytes_problem(row["raw"], row["sha256"])
        if row["archive_name"] is None
        else _archived_row_problem(row["raw"])
    )
    if problem is not None:
        return problem
    try:
        link = expected_link(row)
    except LinkInputInvalid as exc:
        return f"{exc} (the row was altered)"
    if link != row["chain_hash"]:
        return _altered_column(session, row)
    if seen_v2 and row["chain_version"] != CHAIN_VERSION:
        return "chain_version went back to an older link after a newer one (altered)"
    return None


def _altered_column(session: Session, row: Mapping[str, object]) -> str:
    """Which column of a row whose link does not hold was changed, as far as can be told."""
    other = {**row, "chain_version": 1 if row["chain_version"] == CHAIN_VERSION else 2}
    try:
        if expected_link(other) == row["chain_hash"]:
            return "chain_version was altered (the link is of the other version)"
    except LinkInputInvalid:
        pass  # the other version needs columns this row cannot give: not that edit
    if row["chain_version"] == CHAIN_VERSION:
        column = next(_columns_unlike_the_signed_message(row), None)
        if column is not None:
            return f"{column} differs from the signed message (altered)"
    following = session.execute(_NEXT_PREV_HASH, {"after": row["id"]}).scalar()
    if following is None:
        following = session.get_one(ChainHead, 1).last_hash
    if following == expected_link(row):
        return "chain_hash was altered (the next link still follows from the row's columns)"
    if row["chain_version"] == CHAIN_VERSION:
        return "received_at or chain_hash was altered (the link does not follow from the row)"
    return "chain_hash was altered (the link does not follow from prev_hash and sha256)"


def _columns_unlike_the_signed_message(row: Mapping[str, object]) -> Iterator[str]:
    """The columns whose value differs from the one in the stored signed envelope."""
    try:
        envelope = parse_xml(row["raw"])  # type: ignore[arg-type]  # bytes_problem passed
        header = read_header(envelope)
    except Exception:  # a diagnosis only: a message that no longer parses names no column
        return
    certificate = find_unverified_certificate(envelope)
    signed: dict[str, object] = {
        **header_columns(header),
        "created_at": _utc_text(header.created_at),
        "signer_fingerprint": None
        if certificate is None
        else certificate.fingerprint(hashes.SHA256()).hex(),
    }
    stored = json.loads(link_record(row))
    yield from (column for column, value in signed.items() if stored[column] != value)


def _optional_text(values: Mapping[str, object], column: str) -> str | None:
    if values.get(column) is None and column in _NULLABLE:
        return None
    return _text(values, column)


def _text(values: Mapping[str, object], column: str) -> str:
    value = values.get(column)
    if value is None:
        raise LinkInputInvalid(column, "is NULL")
    if not isinstance(value, str):
        raise LinkInputInvalid(column, f"holds {type(value).__name__}, not text")
    return value


def _timestamp(values: Mapping[str, object], column: str) -> str:
    value = values.get(column)
    if isinstance(value, str):  # SQLite's driver hands timestamps back as text
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise LinkInputInvalid(column, "is not a timestamp") from None
    if not isinstance(value, datetime):
        raise LinkInputInvalid(column, f"holds {type(value).__name__}, not a timestamp")
    return _utc_text(value)


def _utc_text(value: datetime) -> str:
    # A naive value is UTC: SQLite keeps no offset (hub.store.types.UTCDateTime).
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _int(value: object) -> int:
    assert isinstance(value, int)
    return value
