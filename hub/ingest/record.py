"""Writes of the ingest transaction: the hash-chained log entry, the outbox rows, rejections.

These functions take the caller's session and never commit: the pipeline writes
log, outbox and chain link in one transaction, so either all of it exists or none.
The messages of a group share one transaction: the chain head is read once, at the
first, and written once, before the commit (``write_chain_head``).
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from hub.errors import Rejection
from hub.ingest.chain import CHAIN_VERSION, expected_link, header_columns
from hub.store import (
    ChainHead,
    DeliveryMode,
    DeliveryStatus,
    MessageLog,
    OutboxDelivery,
    RegisteredPartner,
)
from hub.store import Rejection as RejectionRow
from schemas import EnvelopeHeader

#: Statements ingest runs for every message or group, built once.
_CHAIN_HEAD = select(ChainHead.last_hash).where(ChainHead.id == 1).with_for_update()
_EXTEND_CHAIN = (
    update(ChainHead)
    .where(ChainHead.id == 1)
    .values(last_hash=bindparam("link"), length=ChainHead.length + bindparam("added"))
)
_INSERT_LOG = insert(MessageLog).returning(MessageLog.id)
_INSERT_OUTBOX = insert(OutboxDelivery).returning(OutboxDelivery.id, sort_by_parameter_order=True)
#: The key of the transaction's ``ChainTip`` in ``session.info``.
_TIP = "hub.ingest.chain_tip"


class ChainTip(NamedTuple):
    """The chain as this transaction has extended it: its last link, and how many it added.

    Kept in ``session.info``, replaced (never changed) by each append, so a copy of the
    info taken before a message's savepoint restores the tip if that message is undone.
    """

    last_hash: str
    added: int


def lock_chain_head(session: Session) -> None:
    """Lock the log's chain head for the rest of the transaction; ``append_message``
    extends the tip it keeps in ``session.info``.

    Taken first in every ingest transaction (FOR UPDATE on PostgreSQL; SQLite's
    IMMEDIATE transactions already serialise writers), so chain links follow commit
    order and duplicate checks and new cases are decided one message at a time. Read
    once per transaction: the next message of a group gets the tip the last one left.
    """
    if _TIP not in session.info:
        last_hash: str = session.connection().execute(_CHAIN_HEAD).scalar_one()
        session.info[_TIP] = ChainTip(last_hash, 0)


def write_chain_head(session: Session) -> None:
    """Write the transaction's tip to the chain head, once, just before the commit."""
    tip: ChainTip | None = session.info.pop(_TIP, None)
    if tip is not None and tip.added:
        session.connection().execute(_EXTEND_CHAIN, {"link": tip.last_hash, "added": tip.added})


class LoggedMessage(NamedTuple):
    """A message just appended to the log: what the rest of the transaction needs of it."""

    id: int
    priority: str


def append_message(
    session: Session,
    *,
    raw: bytes,
    header: EnvelopeHeader,
    signer_fingerprint: str,
    now: datetime,
) -> LoggedMessage:
    """Append an accepted message to the log, extending the transaction's chain tip.

    The caller took the chain head's lock (``lock_chain_head``) in this transaction and
    writes the new head before the commit (``write_chain_head``). One Core INSERT …
    RETURNING: nothing in the transaction reads the row back as an ORM object, and the
    unit of work's flush cost more than the rest of the insert.
    """
    tip: ChainTip | None = session.info.get(_TIP)
    if tip is None:
        raise RuntimeError("append_message before lock_chain_head in this transaction")
    values: dict[str, object] = {
        **header_columns(header),
        "received_at": now,
        "sha256": hashlib.sha256(raw).hexdigest(),
        "prev_hash": tip.last_hash,
        "signer_fingerprint": signer_fingerprint,
        "chain_version": CHAIN_VERSION,
    }
    link = expected_link(values)
    log_id: int = (
        session.connection()
        .execute(_INSERT_LOG, {**values, "raw": raw, "chain_hash": link})
        .scalar_one()
    )
    session.info[_TIP] = ChainTip(link, tip.added + 1)
    return LoggedMessage(log_id, header.priority)


@dataclass(frozen=True)
class OutboundCopy:
    """What one recipient gets: the hub-signed copy, minus the classes it may not see."""

    payload: bytes
    removed_classes: tuple[str, ...]


class NewDelivery(NamedTuple):
    """An outbox row just written: what the receipt and the queue need of it."""

    delivery_id: int
    recipient: str
    mode: DeliveryMode


def add_deliveries(
    session: Session,
    *,
    message: LoggedMessage,
    copies: Mapping[str, OutboundCopy],
    partners: Mapping[str, RegisteredPartner],
    now: datetime,
) -> list[NewDelivery]:
    """One pending outbox row per recipient, carrying its own outbound copy.

    One Core INSERT … RETURNING for all of them: nothing in the transaction reads
    them back as ORM rows, so the unit of work would only add cost.
    """
    recipients = list(copies)
    if not recipients:
        return []  # an empty parameter list would run the INSERT once, with no values
    ids = session.connection().scalars(
        _INSERT_OUTBOX,
        [
            {
                "message_log_id": message.id,
                "recipient": code,
                "mode": partners[code].mode,
                "priority": message.priority,
                "status": DeliveryStatus.PENDING,
                "payload": copies[code].payload,
                "removed_classes": ",".join(copies[code].removed_classes) or None,
                "attempts": 0,
                "created_at": now,
            }
            for code in recipients
        ],
    )
    return [
        NewDelivery(i, code, partners[code].mode) for i, code in zip(ids, recipients, strict=True)
    ]


@dataclass
class RejectionFacts:
    """What is safe to keep about a refused message: sizes, hashes and claimed ids, no payload."""

    size_bytes: int
    sha256: str
    authenticated_partner: str | None
    claimed_sender: str | None = None
    claimed_message_id: str | None = None


def record_rejection(
    session: Session, rejection: Rejection, facts: RejectionFacts, *, now: datetime
) -> None:
    """Record a refused message with its code; its bytes are not kept."""
    session.add(
        RejectionRow(
            received_at=now,
            code=rejection.code,
            status=rejection.status,
            detail=rejection.detail[:1000],
            authenticated_partner=facts.authenticated_partner,
            claimed_sender=facts.claimed_sender,
            claimed_message_id=facts.claimed_message_id,
            size_bytes=facts.size_bytes,
            sha256=facts.sha256,
        )
    )
