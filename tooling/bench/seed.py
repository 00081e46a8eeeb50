"""``--seed-log N``: fill the message log fast, through the store, as years of traffic leave it.

Bulk inserts, not the API: a million messages through ingest would take hours. Each
seeded message is a real signed referral of the bench's mix (a few distinct ones,
cycled) with its own MessageId, chain link, case referral, two delivered outbox rows
and their attempts — the tables and indexes ingest and delivery touch. The chain
stays intact (``hub verify-log`` passes); the referrals carry a receipt, so no
deadline job wakes up for them.
"""

import hashlib
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session

from hub.ingest import CHAIN_VERSION, expected_link
from hub.store import (
    CaseReferral,
    ChainHead,
    DeliveryAttempt,
    DeliveryMode,
    DeliveryStatus,
    MessageLog,
    OutboxDelivery,
)

__all__ = ["SeedSample", "Transaction", "count_logged", "seed_backlog", "seed_log"]

#: Opens a transaction on the hub's database (e.g. ``sessionmaker.begin``), committed on exit.
Transaction = Callable[[], AbstractContextManager[Session]]

#: Messages written per transaction.
_BATCH = 2_000
#: How far back the seeded history reaches, in days; the newest is a day old.
_HISTORY_DAYS = 365


@dataclass(frozen=True)
class SeedSample:
    """A signed message to copy into the log, and the copies its recipients got."""

    raw: bytes
    sender: str
    copies: dict[str, bytes]


def count_logged(session: Session) -> int:
    """How many messages the log holds (the chain head's length)."""
    return _chain_head(session).length


def seed_log(
    transaction: Transaction,
    samples: Sequence[SeedSample],
    *,
    count: int,
    now: datetime,
) -> None:
    """Append ``count`` delivered messages to the log, spread over the past year, in batches.

    Raises:
      ValueError: ``samples`` is empty.
    """
    step = timedelta(days=_HISTORY_DAYS) / max(count, 1)
    start = now - timedelta(days=_HISTORY_DAYS + 1)
    _append(transaction, samples, [start + step * index for index in range(count)], delivered=True)


def seed_backlog(
    transaction: Transaction,
    samples: Sequence[SeedSample],
    *,
    count: int,
    now: datetime,
) -> list[int]:
    """Append ``count`` routine messages received ``now`` whose copies wait in the outbox.

    A backlog as a partner outage or a night's batch leaves it: the rows are ``pending``;
    the caller wakes their partners. Returns the rows' ids.

    Raises:
      ValueError: ``samples`` is empty.
    """
    return _append(transaction, samples, [now] * count, delivered=False)


def _append(
    transaction: Transaction,
    samples: Sequence[SeedSample],
    moments: Sequence[datetime],
    *,
    delivered: bool,
) -> list[int]:
    if not samples:
        raise ValueError("seeding needs at least one sample message")
    digests = [hashlib.sha256(sample.raw).hexdigest() for sample in samples]
    delivery_ids: list[int] = []
    for first in range(0, len(moments), _BATCH):
        batch = [
            (samples[index % len(samples)], digests[index % len(samples)], moments[index])
            for index in range(first, min(first + _BATCH, len(moments)))
        ]
        with transaction() as session:
            delivery_ids += _append_batch(session, batch, delivered=delivered)
    return delivery_ids


def _chain_head(session: Session) -> ChainHead:
    # Locked as ingest locks it, so links follow commit order even beside a running hub.
    head = session.get(ChainHead, 1, with_for_update=True)
    if head is None:
        raise RuntimeError("no chain head: the database was not migrated")
    return head


def _append_batch(
    session: Session, batch: Sequence[tuple[SeedSample, str, datetime]], *, delivered: bool
) -> list[int]:
    head = _chain_head(session)
    log_rows = []
    for sample, digest, moment in batch:
        row: dict[str, object] = {
            "message_id": str(uuid.uuid4()),
            "sender": sample.sender,
            "message_type": "FamilyReferral",
            "schema_version": "1.0",
            "priority": "routine",
            "case_ref": None,
            "correlation_id": None,
            "created_at": moment,
            "received_at": moment,
            "raw": sample.raw,
            "sha256": digest,
            "prev_hash": head.last_hash,
            "signer_fingerprint": digest,
            "chain_version": CHAIN_VERSION,
        }
        row["chain_hash"] = head.last_hash = expected_link(row)
        log_rows.append(row)
    head.length += len(log_rows)
    log_ids = session.scalars(
        insert(MessageLog).returning(MessageLog.id, sort_by_parameter_order=True), log_rows
    ).all()
    session.execute(
        insert(CaseReferral),
        [
            _referral(log_id, str(row["message_id"]), sample.sender, moment, delivered=delivered)
            for log_id, row, (sample, _, moment) in zip(log_ids, log_rows, batch, strict=True)
        ],
    )
    deliveries = [
        _delivery(log_id, recipient, payload, moment, delivered=delivered)
        for log_id, (sample, _, moment) in zip(log_ids, batch, strict=True)
        for recipient, payload in sample.copies.items()
    ]
    delivery_ids = session.scalars(
        insert(OutboxDelivery).returning(OutboxDelivery.id, sort_by_parameter_order=True),
        deliveries,
    ).all()
    if not delivered:
        return list(delivery_ids)
    session.execute(
        insert(DeliveryAttempt),
        [
            {
                "delivery_id": delivery_id,
                "number": 1,
                "started_at": row["created_at"],
                "finished_at": row["delivered_at"],
                "outcome": "delivered",
            }
            for delivery_id, row in zip(delivery_ids, deliveries, strict=True)
        ],
    )
    return list(delivery_ids)


def _referral(
    log_id: int, message_id: str, sender: str, at: datetime, *, delivered: bool
) -> dict[str, object]:
    return {
        "message_log_id": log_id,
        "message_id": message_id,
        "sender": sender,
        "referral_id": f"КУСП-seed-{log_id}",
        "detected_at": at - timedelta(hours=2),
        "received_at": at,
        "urgent": False,
        "region": "kamchatka",
        "children_count": 2,
        "receipt_due_at": at + timedelta(days=1),
        "receipt_at": at + timedelta(hours=3) if delivered else None,
    }


def _delivery(
    log_id: int, recipient: str, payload: bytes, at: datetime, *, delivered: bool
) -> dict[str, object]:
    if not delivered:
        return {
            "message_log_id": log_id,
            "recipient": recipient,
            "mode": DeliveryMode.PUSH,
            "priority": "routine",
            "status": DeliveryStatus.PENDING,
            "payload": payload,
            "attempts": 0,
            "created_at": at,
        }
    return {
        "message_log_id": log_id,
        "recipient": recipient,
        "mode": DeliveryMode.PUSH,
        "priority": "routine",
        "status": DeliveryStatus.DELIVERED,
        "payload": payload,
        "attempts": 1,
        "created_at": at,
        "delivered_at": at + timedelta(seconds=1),
        "remote_reference": f"seed-{log_id}-{recipient}",
    }
