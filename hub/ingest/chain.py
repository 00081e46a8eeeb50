"""The message log's hash chain: how a link is made, and a walk that finds the first broken one.

Each accepted message's link is SHA-256 over the previous link and the SHA-256 of the
message's original bytes, so changing, removing or reordering any stored message
breaks every link after it; the chain head row holds the last link and the length.
"""

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.store import ChainHead, MessageLog

#: The hash the chain starts from, before the first message.
GENESIS_HASH = "0" * 64
#: Rows read per batch while walking the log.
_BATCH = 1_000


def chain_link(prev_hash: str, message_sha256: str) -> str:
    """The next link of the log's hash chain: SHA-256 over the previous link and this message."""
    return hashlib.sha256(f"{prev_hash}{message_sha256}".encode("ascii")).hexdigest()


@dataclass(frozen=True)
class ChainVerdict:
    """The outcome of a walk: how many links held, and the first that did not."""

    checked: int
    broken_at: int | None = None  # message_log.id of the first broken link
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify_chain(session: Session) -> ChainVerdict:
    """Walk the whole log in id order and check every link against the stored bytes.

    Memory stays flat however long the log is (rows are streamed in batches).
    """
    previous = GENESIS_HASH
    checked = 0
    last_id = 0
    rows = session.scalars(
        select(MessageLog).order_by(MessageLog.id).execution_options(yield_per=_BATCH)
    )
    try:
        for row in rows:
            reason = _broken(row, previous)
            if reason is not None:
                return ChainVerdict(checked, row.id, reason)
            previous, last_id = row.chain_hash, row.id
            checked += 1
            session.expunge(row)  # keep the identity map from growing with the log
    finally:
        rows.close()  # a server-side cursor on PostgreSQL: release it on an early return
    head = session.get_one(ChainHead, 1)
    if head.last_hash != previous or head.length != checked:
        return ChainVerdict(
            checked, last_id, "the chain head does not end where the log ends (rows removed?)"
        )
    return ChainVerdict(checked)


def _broken(row: MessageLog, previous: str) -> str | None:
    if row.prev_hash != previous:
        return "prev_hash is not the previous message's link (a message removed or reordered)"
    # An archived row's bytes are in its archive file (``hub archive verify`` checks them
    # there); its link still rests on the stored sha256.
    if row.archive_name is None and hashlib.sha256(row.raw).hexdigest() != row.sha256:
        return "the stored bytes do not match their SHA-256 (the message was altered)"
    if chain_link(row.prev_hash, row.sha256) != row.chain_hash:
        return "chain_hash does not follow from prev_hash and sha256 (the link was altered)"
    return None
