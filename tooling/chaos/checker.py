"""The checker: after a load and its faults, count what the hub promised and what happened.

It waits until the hub has settled (every expected delivery delivered or dead; bounded
by a deadline), replays the dead letters through ``hub.operations`` and waits again,
then counts from three sources: the load's answers, the hub's database (message log,
outbox, delivery attempts) and the receiver's arrival file.

The promises: nothing the hub acknowledged is lost (``lost``), nothing arrives that
was never accepted (``extra``), nothing takes effect twice (``duplicate_effects``),
no row is worked on by two workers at once (``double_claims``), a tampered message
is never accepted (``bad_accepted``) and a good one never refused (``good_rejected``),
and a delivery goes dead only when its retries ran out (``dead_early``) and can then
be replayed (``dead_not_replayable``). Arrivals beyond the first are allowed
(at-least-once); the receivers apply them once (``duplicate_arrivals``).
"""

import itertools
import json
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.operations import Actor, replay_dead_letters
from hub.runtime import utc_now
from hub.store import DeliveryAttempt, DeliveryMode, DeliveryStatus, MessageLog, OutboxDelivery
from tooling.chaos.load import Outcome, SendResult
from tooling.rig import Rig

__all__ = ["Figures", "check"]

#: How long the hub may take to settle after the load, in seconds (each of two waits).
SETTLE_DEADLINE_S = 180.0
#: Pause between two looks at the outbox while waiting, in seconds.
_POLL_S = 0.5
#: Message ids per ``IN (…)`` list: well under every database's parameter limit.
_CHUNK = 500
#: Who replays the dead letters, in the audit trail.
CHAOS_ACTOR = Actor(login="chaos", role="operator")

_FINAL = (DeliveryStatus.DELIVERED, DeliveryStatus.DEAD, DeliveryStatus.CANCELLED)
_FAILED_OUTCOMES = ("retry", "dead")

#: A pair the delivery is about: (recipient, MessageId).
Pair = tuple[str, str]
_T = TypeVar("_T")


@dataclass(frozen=True)
class Figures:
    """What the checker counted; ``violations()`` names every promise broken."""

    sent: int
    accepted: int
    rejected: int
    unanswered: int
    expected_deliveries: int
    delivered: int
    duplicate_arrivals: int
    duplicate_effects: int
    lost: int
    extra: int
    dead: int
    dead_early: int
    replayed: int
    dead_not_replayable: int
    double_claims: int
    #: Claims that never recorded an outcome: their worker died mid-delivery.
    interrupted_claims: int
    bad_accepted: int
    good_rejected: int
    settled: bool
    settle_s: float
    #: Problem codes of the rejected messages, with counts.
    rejected_codes: dict[str, int] = field(default_factory=dict)
    #: Deliveries not final at the deadline, by status (empty once settled).
    unsettled: dict[str, int] = field(default_factory=dict)
    #: Each row counted in ``dead_early``, by id: its claims, logged outcomes and last error.
    dead_early_rows: dict[str, str] = field(default_factory=dict)

    def violations(self) -> list[str]:
        """The broken promises, e.g. ``["lost=3"]``; empty when all held."""
        must_be_zero = (
            "lost",
            "extra",
            "duplicate_effects",
            "double_claims",
            "bad_accepted",
            "good_rejected",
            "dead_early",
            "dead_not_replayable",
        )
        broken = [f"{name}={getattr(self, name)}" for name in must_be_zero if getattr(self, name)]
        return broken if self.settled else [*broken, "not settled"]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, ensure_ascii=False)


@dataclass(frozen=True)
class _Row:
    """One push outbox row, read out of its session."""

    id: int
    message_log_id: int
    recipient: str
    message_id: str
    status: DeliveryStatus
    attempts: int
    last_error: str | None

    @property
    def pair(self) -> Pair:
        return (self.recipient, self.message_id)


@dataclass(frozen=True)
class _HubView:
    """The hub's rows for this run's messages."""

    logged: Counter[str]  # MessageId → message_log rows
    rows: list[_Row]

    def pairs(self) -> dict[Pair, _Row]:
        return {row.pair: row for row in self.rows}

    @property
    def duplicate_rows(self) -> int:
        """Outbox rows beyond one per (message, recipient)."""
        per_pair = Counter((row.message_log_id, row.recipient) for row in self.rows)
        return sum(n - 1 for n in per_pair.values())


def check(
    rig: Rig,
    results: Sequence[SendResult],
    *,
    max_retries: int,
    deadline_s: float = SETTLE_DEADLINE_S,
) -> Figures:
    """Wait for the hub to settle, replay its dead letters, and count (see the module).

    ``max_retries`` is the hub's ``HUB_DELIVERY_MAX_RETRIES``: a delivery that went dead
    after fewer failed attempts than ``max_retries + 1`` went dead early.
    """
    started = time.monotonic()
    message_ids = [r.message_id for r in results]
    settled = _wait_until_settled(rig, message_ids, deadline_s)
    before_replay = _hub_view(rig, message_ids)
    dead = [row for row in before_replay.rows if row.status is DeliveryStatus.DEAD]
    replayed = _replay(rig, [row.id for row in dead])
    if replayed:
        settled = _wait_until_settled(rig, message_ids, deadline_s) and settled
    settle_s = time.monotonic() - started
    hub = _hub_view(rig, message_ids)
    log = rig.receiver.log()
    try:
        arrivals = log.arrivals()
        effects = log.effects()
        conflicting = log.conflicting()
    finally:
        log.close()
    expected = hub.pairs()
    sent = set(message_ids)
    with rig.session() as session:
        attempts = _attempts(session, [row.id for row in hub.rows])
        extra = _extra(session, effects - expected.keys(), sent)
    ours = {pair: n for pair, n in arrivals.items() if pair[1] in sent}
    acknowledged = {r.message_id for r in results if r.outcome is Outcome.ACCEPTED}
    unlogged = acknowledged - set(hub.logged)
    replayed_rows = [row for row in hub.rows if row.id in replayed]
    early = [row for row in dead if _failed_attempts(attempts, row.id) < max_retries + 1]
    return Figures(
        sent=len(results),
        accepted=len(hub.logged),
        rejected=sum(r.outcome is Outcome.REJECTED for r in results),
        unanswered=sum(r.outcome is Outcome.UNANSWERED for r in results),
        expected_deliveries=len(expected),
        delivered=len(effects & expected.keys()),
        duplicate_arrivals=sum(ours.values()) - len(ours),
        duplicate_effects=(
            sum(n - 1 for n in hub.logged.values())
            + hub.duplicate_rows
            + conflicting
            + sum(sum(a.outcome == "delivered" for a in by_row) > 1 for by_row in attempts.values())
        ),
        lost=len(unlogged)
        + sum(
            pair not in effects and row.status is not DeliveryStatus.DEAD
            for pair, row in expected.items()
        ),
        extra=extra,
        dead=len(dead),
        dead_early=len(early),
        replayed=len(replayed),
        dead_not_replayable=sum(
            row.status is not DeliveryStatus.DELIVERED or row.pair not in effects
            for row in replayed_rows
        ),
        double_claims=sum(_overlapping(by_row) for by_row in attempts.values()),
        interrupted_claims=sum(row.attempts - len(attempts.get(row.id, [])) for row in hub.rows),
        bad_accepted=sum(r.bad and r.message_id in hub.logged for r in results),
        good_rejected=sum(not r.bad and r.outcome is Outcome.REJECTED for r in results),
        settled=settled,
        settle_s=round(settle_s, 1),
        rejected_codes=dict(Counter(r.code or "?" for r in results if r.code)),
        unsettled=dict(Counter(row.status.value for row in hub.rows if row.status not in _FINAL)),
        dead_early_rows={str(row.id): _history(row, attempts) for row in early},
    )


def _wait_until_settled(rig: Rig, message_ids: Sequence[str], deadline_s: float) -> bool:
    """True once every push row of these messages is final; False at the deadline."""
    deadline = time.monotonic() + deadline_s
    while True:
        with rig.session() as session:
            open_rows = sum(
                session.scalar(
                    select(func.count())
                    .select_from(OutboxDelivery)
                    .join(MessageLog, OutboxDelivery.message_log_id == MessageLog.id)
                    .where(
                        MessageLog.message_id.in_(chunk),
                        OutboxDelivery.mode == DeliveryMode.PUSH,
                        OutboxDelivery.status.not_in(_FINAL),
                    )
                )
                or 0
                for chunk in _chunks(message_ids)
            )
        if open_rows == 0:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(_POLL_S)


def _hub_view(rig: Rig, message_ids: Sequence[str]) -> _HubView:
    logged: Counter[str] = Counter()
    rows: list[_Row] = []
    with rig.session() as session:
        for chunk in _chunks(message_ids):
            logged.update(
                session.scalars(
                    select(MessageLog.message_id).where(MessageLog.message_id.in_(chunk))
                )
            )
            rows += [
                _Row(*found)
                for found in session.execute(
                    select(
                        OutboxDelivery.id,
                        OutboxDelivery.message_log_id,
                        OutboxDelivery.recipient,
                        MessageLog.message_id,
                        OutboxDelivery.status,
                        OutboxDelivery.attempts,
                        OutboxDelivery.last_error,
                    )
                    .join(MessageLog, OutboxDelivery.message_log_id == MessageLog.id)
                    .where(
                        MessageLog.message_id.in_(chunk), OutboxDelivery.mode == DeliveryMode.PUSH
                    )
                )
            ]
    return _HubView(logged, rows)


def _extra(session: Session, unexpected: set[Pair], sent: set[str]) -> int:
    """Applied pairs that are no delivery of the hub: of this run's messages, any pair
    outside its expected ones; of other messages (a rig shared by several runs), those
    with no push row at all."""
    extra = sum(message_id in sent for _, message_id in unexpected)
    others = sorted(pair for pair in unexpected if pair[1] not in sent)
    known: set[Pair] = set()
    for chunk in _chunks([message_id for _, message_id in others]):
        known.update(
            (recipient, message_id)
            for recipient, message_id in session.execute(
                select(OutboxDelivery.recipient, MessageLog.message_id)
                .join(MessageLog, OutboxDelivery.message_log_id == MessageLog.id)
                .where(MessageLog.message_id.in_(chunk), OutboxDelivery.mode == DeliveryMode.PUSH)
            )
        )
    return extra + sum(pair not in known for pair in others)


def _replay(rig: Rig, dead_ids: list[int]) -> set[int]:
    """Replay ``dead_ids`` as an operator would; the receiver answers normally again first."""
    if not dead_ids:
        return set()
    rig.receiver.set_mode("ok")
    with rig.session() as session:
        return set(
            replay_dead_letters(
                session,
                actor=CHAOS_ACTOR,
                reason="chaos run: show the dead letters can be replayed",
                now=utc_now(),
                ids=dead_ids,
            )
        )


def _attempts(session: Session, delivery_ids: Sequence[int]) -> dict[int, list[DeliveryAttempt]]:
    """The attempts of each delivery (by its id), in order of start."""
    by_row: dict[int, list[DeliveryAttempt]] = {}
    for chunk in _chunks(delivery_ids):
        for attempt in session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id.in_(chunk))
            .order_by(DeliveryAttempt.started_at)
        ):
            by_row.setdefault(attempt.delivery_id, []).append(attempt)
    session.expunge_all()
    return by_row


def _history(row: _Row, attempts: dict[int, list[DeliveryAttempt]]) -> str:
    """A dead row's story for a failure message: e.g. ``claims 3: retry, dead; <error>``."""
    outcomes = ", ".join(a.outcome for a in attempts.get(row.id, [])) or "none logged"
    return f"claims {row.attempts}: {outcomes}; {row.last_error or 'no error recorded'}"


def _failed_attempts(attempts: dict[int, list[DeliveryAttempt]], delivery_id: int) -> int:
    return sum(a.outcome in _FAILED_OUTCOMES for a in attempts.get(delivery_id, []))


def _overlapping(attempts: list[DeliveryAttempt]) -> bool:
    """Two attempts of one row under one claim number, or running at the same time."""
    numbers = [a.number for a in attempts]
    if len(numbers) != len(set(numbers)):
        return True
    return any(
        later.started_at < earlier.finished_at for earlier, later in itertools.pairwise(attempts)
    )


def _chunks(items: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
