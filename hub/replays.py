"""Bulk replay of dead letters that can be looked at first and stopped halfway.

A dry run (``preview_replay``) lists what a replay would send — delivery and hub ids,
recipient, message type, never personal data — and changes nothing. A bulk replay by
filters runs under a ``ReplayBatch``: ``start_replay_batch`` fixes the selection (the
filters, and the highest matching id at the start), ``replay_next_chunk`` re-queues the
next chunk in the caller's transaction, and ``run_replay_batch`` commits chunk after
chunk until the batch is done or someone ran ``stop_replay_batch`` (OpenHIM #1185: a
retry storm no one could stop). Rows after the last committed chunk stay dead.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.errors import OperationRefused
from hub.operations import (
    Actor,
    matching_dead,
    partner_for_update,
    record_operation,
    replay_filters_detail,
    required_reason,
    select_dead_letters,
)
from hub.store import MessageLog, OutboxDelivery, ReplayBatch, replay_dead

__all__ = [
    "CHUNK_SIZE",
    "ChunkOutcome",
    "ReplayCandidate",
    "list_replay_batches",
    "preview_replay",
    "replay_next_chunk",
    "run_replay_batch",
    "start_replay_batch",
    "stop_replay_batch",
]

#: Deliveries re-queued per committed chunk: small enough that a stop takes effect soon.
CHUNK_SIZE = 100
RUNNING, STOPPED, DONE = "running", "stopped", "done"


@dataclass(frozen=True)
class ReplayCandidate:
    """One delivery a replay would send again: ids and routing only."""

    delivery_id: int
    hub_id: int
    recipient: str
    message_type: str


def preview_replay(
    session: Session,
    *,
    ids: Sequence[int] | None = None,
    partner: str | None = None,
    message_type: str | None = None,
    since: datetime | None = None,
) -> list[ReplayCandidate]:
    """What ``replay_dead_letters`` (or a batch) with these arguments would send; changes
    nothing and audits nothing.

    Raises:
      OperationRefused: as ``hub.operations.select_dead_letters``.
    """
    chosen = select_dead_letters(
        session, ids=ids, partner=partner, message_type=message_type, since=since
    )
    rows = session.execute(
        select(OutboxDelivery.id, MessageLog.id, OutboxDelivery.recipient, MessageLog.message_type)
        .join(MessageLog, OutboxDelivery.message_log_id == MessageLog.id)
        .where(OutboxDelivery.id.in_(chosen))
        .order_by(OutboxDelivery.id)
    ).all()
    return [ReplayCandidate(d, h, r, t) for d, h, r, t in rows]


def start_replay_batch(
    session: Session,
    *,
    actor: Actor,
    reason: str,
    now: datetime,
    partner: str | None = None,
    message_type: str | None = None,
    since: datetime | None = None,
) -> ReplayBatch:
    """Open a bulk replay of the dead rows matching the filters (every dead row without
    any); nothing is re-queued yet. A selection with no rows is ``done`` at once.

    Raises:
      OperationRefused: ``ops.reason_required``, ``ops.unknown_partner``.
    """
    why = required_reason(reason)
    if partner is not None:
        partner_for_update(session, partner)
    chosen = matching_dead(session, partner=partner, message_type=message_type, since=since)
    batch = ReplayBatch(
        status=RUNNING if chosen else DONE,
        started_by=actor.login[:64],
        started_at=now,
        reason=why,
        partner=partner,
        message_type=message_type,
        since=since,
        last_id=chosen[-1] if chosen else 0,
        cursor=0,
        replayed=0,
        finished_at=None if chosen else now,
    )
    session.add(batch)
    session.flush()
    filters = replay_filters_detail(partner, message_type, since)
    detail = f"batch={batch.id} {filters} count={len(chosen)}"
    record_operation(session, actor, "replay.start", detail, why, now)
    return batch


@dataclass(frozen=True)
class ChunkOutcome:
    """What one chunk did: the ids it re-queued, and whether the batch runs on."""

    replayed: list[int]
    running: bool


def replay_next_chunk(
    session: Session, batch_id: int, *, actor: Actor, now: datetime, size: int = CHUNK_SIZE
) -> ChunkOutcome:
    """Re-queue the batch's next ``size`` dead rows in the caller's transaction, audited as
    ``delivery.replay``; nothing if the batch was stopped or is done.

    Raises:
      OperationRefused: ``ops.unknown_batch``.
    """
    batch = _batch_for_update(session, batch_id)
    if batch.status != RUNNING:
        return ChunkOutcome([], running=False)
    chosen = matching_dead(
        session,
        partner=batch.partner,
        message_type=batch.message_type,
        since=batch.since,
        after=batch.cursor,
        up_to=batch.last_id,
        limit=size,
    )
    for delivery_id in chosen:
        replay_dead(session, delivery_id, now=now)
    batch.replayed += len(chosen)
    if len(chosen) < size:
        batch.cursor = batch.last_id
        batch.status = DONE
        batch.finished_at = now
    else:
        batch.cursor = chosen[-1]
    if chosen:
        detail = f"batch={batch.id} count={len(chosen)} ids=" + ",".join(map(str, chosen))
        record_operation(session, actor, "delivery.replay", detail, batch.reason, now)
    return ChunkOutcome(chosen, running=batch.status == RUNNING)


def run_replay_batch(
    session_factory: sessionmaker[Session],
    batch_id: int,
    *,
    actor: Actor,
    clock: Callable[[], datetime],
    size: int = CHUNK_SIZE,
) -> list[int]:
    """Run the batch to its end or its stop, one committed transaction per chunk; returns
    the ids this call re-queued."""
    replayed: list[int] = []
    while True:
        with session_factory.begin() as session:
            outcome = replay_next_chunk(session, batch_id, actor=actor, now=clock(), size=size)
        replayed.extend(outcome.replayed)
        if not outcome.running:
            return replayed


def stop_replay_batch(
    session: Session, batch_id: int, *, actor: Actor, reason: str, now: datetime
) -> ReplayBatch:
    """Stop a running batch: the chunk in progress finishes, the rest stays dead.

    Raises:
      OperationRefused: ``ops.reason_required``, ``ops.unknown_batch``,
        ``ops.batch_finished`` (done or stopped already).
    """
    why = required_reason(reason)
    batch = _batch_for_update(session, batch_id)
    if batch.status != RUNNING:
        raise OperationRefused("ops.batch_finished", f"batch {batch_id} is {batch.status}")
    batch.status = STOPPED
    batch.stopped_by = actor.login[:64]
    batch.stopped_at = now
    detail = f"batch={batch_id} replayed={batch.replayed} cursor={batch.cursor}"
    record_operation(session, actor, "replay.stop", detail, why, now)
    return batch


def list_replay_batches(session: Session, *, limit: int = 20) -> Sequence[ReplayBatch]:
    """The latest bulk replays, newest first."""
    return session.scalars(select(ReplayBatch).order_by(ReplayBatch.id.desc()).limit(limit)).all()


def _batch_for_update(session: Session, batch_id: int) -> ReplayBatch:
    batch = session.get(ReplayBatch, batch_id, with_for_update=True)
    if batch is None:
        raise OperationRefused("ops.unknown_batch", f"batch {batch_id} not found")
    return batch
