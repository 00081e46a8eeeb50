"""deliver_batch and PartnerTransports without a broker: one batch of a partner's lane.

Each test runs ``deliver_batch`` on a real database with a hand-moved clock and checks
what the partner got, the rows' states and attempt logs, and the ``BatchReport`` the
actors act on (``more_due``: wake the lane again at once; ``next_due``: wake it then).
The partner is the conftest's in-memory transport, reached through the real
``PartnerTransports``, told here how to answer each call.
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import pytest
from dramatiq.middleware import TimeLimitExceeded
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import (
    Adapter,
    DeliveryResult,
    InMemoryTransport,
    OutboundMessage,
    PartnerRejected,
    PartnerUnavailable,
)
from hub.store import (
    CircuitState,
    DeliveryMode,
    DeliveryStatus,
    OutboxDelivery,
    Partner,
    PartnerCircuit,
    find_circuit,
)
from queues import (
    ROUTINE,
    URGENT,
    BatchReport,
    PartnerTransports,
    RetryPolicy,
    deliver_batch,
)
from queues.circuit import Gate
from tests.integration.queues.queue_helpers import Clock, Outbox

#: The cap on a retry delay, in milliseconds: the hub's default HUB_DELIVERY_MAX_BACKOFF_MS.
MAX_BACKOFF_MS = 300_000
#: Three attempts a row; the first retry waits 1 to 2 s, the second 2 to 4 s (jitter).
RETRY = RetryPolicy(max_attempts=3, min_backoff_ms=1_000, max_backoff_ms=MAX_BACKOFF_MS)


@dataclass
class Scripted(InMemoryTransport):
    """The in-memory partner, answering its next calls as told, then taking every message.

    An answer of ``None`` takes the message; an exception is raised instead. Each call
    is noted in ``calls`` (the delivery ids), taken or not.
    """

    answers: list[BaseException | None] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    #: How long each call takes, in seconds (real time passes: a slow partner).
    takes_s: float = 0.0

    def answer(self, *answers: BaseException | None) -> None:
        self.answers.extend(answers)

    def deliver(self, message: OutboundMessage) -> DeliveryResult:
        self.calls.append(message.delivery_id)
        if self.takes_s:
            time.sleep(self.takes_s)  # the partner is slow; nothing waits on this
        answer = self.answers.pop(0) if self.answers else None
        if answer is not None:
            raise answer
        return super().deliver(message)


@pytest.fixture
def partner() -> Scripted:
    """Overrides the conftest's partner, so ``transports`` hands out this one."""
    return Scripted()


class Batch(Protocol):
    def __call__(
        self,
        lane: str = ROUTINE,
        *,
        recipient: str = "social",
        size: int = 10,
        lease_s: float = 30.0,
    ) -> BatchReport: ...


@pytest.fixture
def batch(
    session_factory: sessionmaker[Session], transports: PartnerTransports, clock: Clock
) -> Batch:
    """One batch of a lane at the clock's time, as a woken actor runs it."""

    def run(
        lane: str = ROUTINE,
        *,
        recipient: str = "social",
        size: int = 10,
        lease_s: float = 30.0,
    ) -> BatchReport:
        return deliver_batch(
            session_factory,
            recipient,
            lane,
            transports=transports,
            now=clock,
            lease_s=lease_s,
            batch_size=size,
            retry=RETRY,
        )

    return run


def _sent(partner: InMemoryTransport) -> list[int]:
    return [message.delivery_id for message in partner.delivered]


# --- a batch delivers ------------------------------------------------------------------


def test_a_batch_delivers_the_lanes_due_rows_oldest_first_and_logs_one_attempt_each(
    batch: Batch, outbox: Outbox, partner: Scripted, clock: Clock
) -> None:
    ids = outbox.deliveries(3)

    report = batch()

    assert (report.gate, report.limit, report.claimed, report.count("delivered")) == (
        Gate.GO,
        10,
        3,
        3,
    )
    assert (report.released, report.failed, report.more_due, report.next_due) == (
        0,
        False,
        False,
        None,
    )
    assert _sent(partner) == ids
    first = partner.delivered[0]
    row = outbox.get(ids[0])
    assert (first.recipient, first.priority, first.envelope) == ("social", "routine", row.payload)
    assert (first.message_id, first.message_type) == (row.message.message_id, "FamilyReferral")
    for number, delivery_id in enumerate(ids, start=1):
        row = outbox.get(delivery_id)
        assert (row.status, row.attempts, row.lease_until, row.delivered_at) == (
            DeliveryStatus.DELIVERED,
            1,
            None,
            clock(),
        )
        assert row.remote_reference == f"mem-{number}"
        assert [(a.number, a.outcome, a.error) for a in row.attempt_log] == [(1, "delivered", None)]


def test_a_delivered_row_is_not_delivered_again_by_the_next_wake(
    batch: Batch, outbox: Outbox, partner: Scripted
) -> None:
    delivery_id = outbox.delivery(priority="urgent")
    assert batch(URGENT).count("delivered") == 1

    again = batch(URGENT)

    assert (again.claimed, again.outcomes, again.more_due) == (0, (), False)
    assert _sent(partner) == [delivery_id]
    assert [a.outcome for a in outbox.get(delivery_id).attempt_log] == ["delivered"]


def test_a_batch_claims_at_most_its_size_and_a_full_batch_says_more_may_be_due(
    batch: Batch, outbox: Outbox, partner: Scripted
) -> None:
    ids = outbox.deliveries(5)

    reports = [batch(size=2) for _ in range(4)]

    assert [(r.claimed, r.more_due) for r in reports] == [
        (2, True),
        (2, True),
        (1, False),
        (0, False),
    ]
    assert _sent(partner) == ids


def test_each_lane_is_delivered_apart_so_urgent_rows_never_wait_behind_routine_ones(
    batch: Batch, outbox: Outbox, partner: Scripted
) -> None:
    # Given a routine backlog, written before an urgent row
    routine = outbox.deliveries(4)
    urgent = outbox.delivery(priority="urgent")

    # When the urgent lane is woken, it delivers its row and none of the backlog
    first = batch(URGENT, size=2)
    # And the routine lane delivers the backlog and nothing of the urgent lane
    outbox.delivery(priority="urgent")
    second = batch(ROUTINE)

    assert (first.claimed, second.claimed) == (1, 4)
    assert _sent(partner) == [urgent, *routine]


def test_a_row_whose_worker_died_is_delivered_once_its_lease_ran_out(
    batch: Batch, outbox: Outbox, partner: Scripted, clock: Clock
) -> None:
    # Given a row another worker claimed (attempt 1) and never finished
    delivery_id = outbox.delivery(
        status=DeliveryStatus.IN_FLIGHT, attempts=1, lease_until=clock() + timedelta(seconds=30)
    )

    # Then it is left alone while the lease runs…
    assert batch().claimed == 0
    clock.advance(29)
    assert batch().claimed == 0
    # …and delivered, as attempt 2, once it ran out
    clock.advance(2)
    assert batch().count("delivered") == 1

    assert _sent(partner) == [delivery_id]
    row = outbox.get(delivery_id)
    assert (row.status, row.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert [(a.number, a.outcome) for a in row.attempt_log] == [(2, "delivered")]


def test_a_crash_mid_batch_sends_that_batch_again_after_its_lease_and_nothing_else(
    batch: Batch, outbox: Outbox, partner: Scripted, clock: Clock
) -> None:
    # Given a batch of five whose worker is stopped on its third call (its time limit)
    ids = outbox.deliveries(7)
    partner.answer(None, None, TimeLimitExceeded())
    with pytest.raises(TimeLimitExceeded):
        batch(size=5)

    # Then its five rows stay claimed, unrecorded, although the partner took two
    assert _sent(partner) == ids[:2]
    for delivery_id in ids[:5]:
        row = outbox.get(delivery_id)
        assert (row.status, row.attempts, row.attempt_log) == (DeliveryStatus.IN_FLIGHT, 1, [])
    # And the next wake delivers only the rows after them
    assert batch(size=5).claimed == 2
    # And once the lease ran out, the five go again: only the two taken are sent twice
    clock.advance(31)
    assert batch(size=5).count("delivered") == 5

    assert _sent(partner) == [*ids[:2], *ids[5:], *ids[:5]]
    assert {outbox.get(delivery_id).status for delivery_id in ids} == {DeliveryStatus.DELIVERED}
    assert [a.number for a in outbox.get(ids[0]).attempt_log] == [2]


def test_a_batch_stops_when_half_its_lease_is_gone_and_gives_back_the_rest_due_at_once(
    batch: Batch, outbox: Outbox, partner: Scripted, clock: Clock
) -> None:
    # Given a partner slower than half the lease
    ids = outbox.deliveries(3)
    partner.takes_s = 0.015

    report = batch(lease_s=0.02)

    # Then the first row went, the others are given back unattempted, due now,
    # and the report asks for another wake at once
    assert partner.calls == ids[:1]
    assert (report.claimed, report.count("delivered"), report.released) == (3, 1, 2)
    assert (report.failed, report.more_due, report.next_due) == (False, True, None)
    for delivery_id in ids[1:]:
        row = outbox.get(delivery_id)
        assert (row.status, row.attempts, row.lease_until, row.next_attempt_at) == (
            DeliveryStatus.PENDING,
            0,
            None,
            clock(),
        )
        assert row.attempt_log == []


# --- failures, retries and dead letters ------------------------------------------------


def test_a_failed_call_ends_the_batch_and_gives_the_untried_rows_back_for_the_next_wake(
    batch: Batch,
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    partner: Scripted,
    clock: Clock,
) -> None:
    # Given four rows, the partner taking the first and failing on the second
    ids = outbox.deliveries(4)
    partner.answer(None, PartnerUnavailable("HTTP 503"))

    report = batch()

    # Then the partner is not called for the last two
    assert partner.calls == ids[:2]
    assert [o.outcome for o in report.outcomes] == ["delivered", "retry"]
    assert (report.claimed, report.released, report.failed, report.more_due) == (4, 2, True, True)
    # And the failed row is retried after its backoff (1 to 2 s for a first failure)
    failed = outbox.get(ids[1])
    assert report.next_due is not None
    assert failed.next_attempt_at == report.next_due
    assert timedelta(seconds=1) <= report.next_due - clock() <= timedelta(seconds=2)
    assert (failed.status, failed.attempts, failed.lease_until, failed.last_error) == (
        DeliveryStatus.RETRYING,
        1,
        None,
        "PartnerUnavailable: HTTP 503",
    )
    assert [(a.number, a.outcome, a.error) for a in failed.attempt_log] == [
        (1, "retry", "PartnerUnavailable: HTTP 503")
    ]
    # And the untried rows are due at once, their attempts not spent
    for delivery_id in ids[2:]:
        row = outbox.get(delivery_id)
        assert (row.status, row.attempts, row.next_attempt_at, row.attempt_log) == (
            DeliveryStatus.PENDING,
            0,
            clock(),
            [],
        )
    # And the failure counts toward the partner's circuit
    with session_factory() as session:
        circuit = find_circuit(session, "social")
        assert circuit is not None
        assert circuit.consecutive_failures == 1

    # When the next wake comes at once, the two untried rows go, not the failed one
    assert batch().count("delivered") == 2
    assert _sent(partner) == [ids[0], ids[2], ids[3]]
    # And once its backoff is over, the failed row goes too
    assert batch().claimed == 0
    clock.advance((report.next_due - clock()).total_seconds())
    assert batch().count("delivered") == 1

    assert sorted(_sent(partner)) == ids
    assert [(a.number, a.outcome) for a in outbox.get(ids[1]).attempt_log] == [
        (1, "retry"),
        (2, "delivered"),
    ]
    assert [a.number for a in outbox.get(ids[2]).attempt_log] == [1]
    with session_factory() as session:
        circuit = find_circuit(session, "social")
        assert circuit is not None
        assert circuit.consecutive_failures == 0


def test_a_row_is_retried_with_growing_backoff_then_dead_after_its_last_attempt(
    batch: Batch, outbox: Outbox, partner: Scripted, clock: Clock
) -> None:
    delivery_id = outbox.delivery()
    partner.answer(*[PartnerUnavailable("timeout")] * RETRY.max_attempts)

    waits = []
    for _ in range(RETRY.max_attempts - 1):
        report = batch()
        assert report.next_due is not None
        waits.append(report.next_due - clock())
        clock.advance(waits[-1].total_seconds())
    last = batch()

    # Then the waits double from min_backoff_ms, within its jitter (up to twice as long)
    assert timedelta(seconds=1) <= waits[0] <= timedelta(seconds=2)
    assert timedelta(seconds=2) <= waits[1] <= timedelta(seconds=4)
    # And the last allowed attempt makes the row dead, with nothing left to wake for
    assert [o.outcome for o in last.outcomes] == ["dead"]
    assert (last.failed, last.more_due) == (True, False)
    row = outbox.get(delivery_id)
    assert (row.status, row.attempts, row.next_attempt_at) == (DeliveryStatus.DEAD, 3, None)
    assert [(a.number, a.outcome) for a in row.attempt_log] == [
        (1, "retry"),
        (2, "retry"),
        (3, "dead"),
    ]
    assert batch().claimed == 0


def test_an_attempt_cut_short_by_a_dead_worker_counts_toward_the_budget(
    batch: Batch, outbox: Outbox, partner: Scripted, clock: Clock
) -> None:
    # Given a row whose second attempt's worker died (its lease ran out)
    delivery_id = outbox.delivery(
        status=DeliveryStatus.IN_FLIGHT, attempts=2, lease_until=clock() - timedelta(seconds=1)
    )
    partner.answer(PartnerUnavailable("timeout"))

    # When its third attempt, the last allowed, fails
    report = batch()

    # Then it is dead
    assert [(o.attempt, o.outcome) for o in report.outcomes] == [(3, "dead")]
    assert outbox.get(delivery_id).status is DeliveryStatus.DEAD


def test_a_retry_after_is_the_wait_before_the_next_attempt(
    batch: Batch, outbox: Outbox, partner: Scripted, clock: Clock
) -> None:
    delivery_id = outbox.delivery()
    partner.answer(PartnerUnavailable("HTTP 429", retry_after_s=42.5))

    report = batch()

    assert report.next_due == clock() + timedelta(seconds=42.5)
    assert outbox.get(delivery_id).next_attempt_at == clock() + timedelta(seconds=42.5)


def test_a_retry_after_beyond_the_maximum_backoff_waits_the_maximum(
    batch: Batch, outbox: Outbox, partner: Scripted, clock: Clock
) -> None:
    ids = outbox.deliveries(2)
    partner.answer(PartnerUnavailable("HTTP 503", retry_after_s=30 * 86_400))

    report = batch()

    assert report.next_due == clock() + timedelta(milliseconds=MAX_BACKOFF_MS)
    assert [outbox.get(delivery_id).next_attempt_at for delivery_id in ids] == [
        report.next_due,
        report.next_due,
    ]


def test_the_backoff_without_a_retry_after_never_exceeds_the_maximum() -> None:
    for _ in range(20):
        assert (
            timedelta(milliseconds=MAX_BACKOFF_MS / 2)
            <= RETRY.backoff(40)
            <= timedelta(milliseconds=MAX_BACKOFF_MS)
        )


def test_a_refusal_makes_that_row_dead_at_once_and_the_batch_goes_on(
    batch: Batch, outbox: Outbox, partner: Scripted
) -> None:
    ids = outbox.deliveries(2)
    partner.answer(PartnerRejected("HTTP 422"))

    report = batch()

    assert partner.calls == ids
    assert [o.outcome for o in report.outcomes] == ["rejected", "delivered"]
    assert (report.failed, report.released, report.next_due) == (False, 0, None)
    row = outbox.get(ids[0])
    assert (row.status, row.last_error) == (DeliveryStatus.DEAD, "PartnerRejected: HTTP 422")
    assert [a.outcome for a in row.attempt_log] == ["rejected"]
    assert outbox.get(ids[1]).status is DeliveryStatus.DELIVERED


def test_an_unexpected_transport_error_is_retried_and_recorded_by_its_type_only(
    batch: Batch, outbox: Outbox, partner: Scripted
) -> None:
    delivery_id = outbox.delivery()
    partner.answer(KeyError("Ivanova Maria, born 2019"))

    report = batch()

    assert [o.outcome for o in report.outcomes] == ["retry"]
    row = outbox.get(delivery_id)
    assert (row.status, row.last_error) == (DeliveryStatus.RETRYING, "KeyError")
    assert [a.error for a in row.attempt_log] == ["KeyError"]


@pytest.mark.parametrize(
    ("code", "mode", "endpoint", "adapter", "reason"),
    [
        ("nobody", None, None, "mem", "no active partner"),
        ("police", DeliveryMode.PULL, None, "mem", "pulls its inbox"),
        ("health", DeliveryMode.PUSH, None, "mem", "no endpoint"),
        ("kdn", DeliveryMode.PUSH, "https://kdn", "soap", "cannot push"),
    ],
)
def test_every_row_of_a_recipient_without_a_transport_goes_dead(
    batch: Batch,
    outbox: Outbox,
    partner: Scripted,
    code: str,
    mode: DeliveryMode | None,
    endpoint: str | None,
    adapter: str,
    reason: str,
) -> None:
    if mode is not None:
        outbox.partner(code, mode=mode, endpoint=endpoint, adapter=adapter)
    ids = outbox.deliveries(2, recipient=code)

    report = batch(recipient=code)

    assert (report.count("dead"), report.failed, report.next_due) == (2, False, None)
    assert partner.calls == []
    for delivery_id in ids:
        row = outbox.get(delivery_id)
        assert row.status is DeliveryStatus.DEAD
        assert row.last_error is not None
        assert row.last_error.startswith(f"TransportMissing: no push transport for '{code}'")
        assert reason in row.last_error
        assert [a.outcome for a in row.attempt_log] == ["dead"]


def test_one_line_is_logged_per_attempt_and_a_dead_letter_is_a_warning(
    batch: Batch, outbox: Outbox, partner: Scripted, caplog: pytest.LogCaptureFixture
) -> None:
    ids = outbox.deliveries(4)
    partner.answer(None, PartnerRejected("HTTP 422"), PartnerUnavailable("HTTP 503"))
    caplog.set_level(logging.INFO, logger="queues.delivery")

    batch()

    lines = [r for r in caplog.records if r.name == "queues.delivery"]
    assert [(r.levelno, r.getMessage()) for r in lines] == [
        (logging.INFO, "delivery delivered: social"),
        (logging.WARNING, "delivery dead letter: social"),
        (logging.INFO, "delivery retry: social"),
    ]
    assert [getattr(r, "delivery_id", None) for r in lines] == ids[:3]
    assert [getattr(r, "outcome", None) for r in lines] == ["delivered", "rejected", "retry"]
    assert [getattr(r, "error", None) for r in lines] == [
        None,
        "PartnerRejected: HTTP 422",
        "PartnerUnavailable: HTTP 503",
    ]
    for line, delivery_id in zip(lines, ids, strict=False):
        assert getattr(line, "message_id", None) == outbox.get(delivery_id).message.message_id
        assert (getattr(line, "partner", None), getattr(line, "attempt", None)) == ("social", 1)
        assert isinstance(getattr(line, "duration_ms", None), float)


# --- the gate: a paused partner, an open circuit ---------------------------------------


def _set_partner(session_factory: sessionmaker[Session], **values: object) -> None:
    with session_factory.begin() as session:
        session.execute(update(Partner).where(Partner.code == "social").values(**values))


def _open_circuit(session_factory: sessionmaker[Session], *, probe_at: datetime) -> None:
    with session_factory.begin() as session:
        session.add(
            PartnerCircuit(
                partner_code="social",
                state=CircuitState.OPEN.value,
                consecutive_failures=5,
                probe_at=probe_at,
            )
        )


def test_a_paused_partner_gets_nothing_claimed_and_no_attempt_is_spent(
    batch: Batch,
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    partner: Scripted,
) -> None:
    delivery_id = outbox.delivery()
    _set_partner(session_factory, paused=True)

    report = batch()

    assert (report.gate, report.claimed, report.more_due, report.next_due) == (
        Gate.PAUSED,
        0,
        False,
        None,
    )
    assert partner.calls == []
    row = outbox.get(delivery_id)
    assert (row.status, row.attempts, row.attempt_log) == (DeliveryStatus.PENDING, 0, [])

    _set_partner(session_factory, paused=False)
    assert batch().count("delivered") == 1


def test_an_open_circuit_gets_nothing_claimed_then_its_probe_takes_one_row_only(
    batch: Batch,
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    partner: Scripted,
    clock: Clock,
) -> None:
    ids = outbox.deliveries(3)
    _open_circuit(session_factory, probe_at=clock() + timedelta(seconds=30))

    # While open: nothing claimed, no attempt spent
    closed_door = batch()
    assert (closed_door.gate, closed_door.claimed, closed_door.more_due) == (Gate.OPEN, 0, False)
    assert [outbox.get(i).attempts for i in ids] == [0, 0, 0]

    # Once the cool-down is over: one row goes as the probe, and its success closes the circuit
    clock.advance(30)
    probe = batch()
    assert (probe.gate, probe.limit, probe.claimed, probe.more_due) == (Gate.PROBE, 1, 1, True)
    assert _sent(partner) == ids[:1]
    with session_factory() as session:
        circuit = find_circuit(session, "social")
        assert circuit is not None
        assert circuit.state == CircuitState.CLOSED.value

    # And the next wake delivers the rest as a whole batch
    rest = batch()
    assert (rest.gate, rest.claimed) == (Gate.GO, 2)
    assert _sent(partner) == ids


# --- PartnerTransports -----------------------------------------------------------------


def test_partner_transports_builds_one_transport_per_recipient(
    session_factory: sessionmaker[Session], outbox: Outbox
) -> None:
    built: list[tuple[str, float]] = []

    def make(endpoint: str, timeout_s: float) -> InMemoryTransport:
        built.append((endpoint, timeout_s))
        return InMemoryTransport()

    outbox.partner("employment", endpoint="https://employment/api")
    resolver = PartnerTransports(session_factory, {"mem": Adapter("mem", "push", make)}, 2.5)

    first = resolver.transport_for("employment", "https://employment/api")
    assert resolver.transport_for("employment", "https://employment/api") is first
    assert resolver.transport_for("social", "mem://partner") is not first
    assert built == [("https://employment/api", 2.5), ("mem://partner", 2.5)]
    resolver.close()
    assert resolver.transport_for("employment", "https://employment/api") is not first


def test_partner_transports_builds_a_new_transport_when_the_endpoint_changed(
    session_factory: sessionmaker[Session], outbox: Outbox
) -> None:
    built: list[str] = []
    closed: list[str] = []

    class Recording(InMemoryTransport):
        def __init__(self, endpoint: str) -> None:
            super().__init__()
            self.endpoint = endpoint

        def close(self) -> None:
            closed.append(self.endpoint)

    def make(endpoint: str, _timeout_s: float) -> Recording:
        built.append(endpoint)
        return Recording(endpoint)

    outbox.partner("employment", endpoint="https://old/api")
    resolver = PartnerTransports(session_factory, {"mem": Adapter("mem", "push", make)}, 2.5)
    old = resolver.transport_for("employment", "https://old/api")

    # When the partner's row gets another endpoint, and a batch reads it
    with session_factory.begin() as session:
        session.execute(
            update(Partner).where(Partner.code == "employment").values(endpoint="https://new/api")
        )
    new = resolver.transport_for("employment", "https://new/api")

    # Then a transport for the new endpoint replaces the old one, which stays open (a
    # delivery may be using it) until the resolver closes
    assert new is not old
    assert built == ["https://old/api", "https://new/api"]
    assert resolver.transport_for("employment", "https://new/api") is new
    assert closed == []
    resolver.close()
    assert sorted(closed) == ["https://new/api", "https://old/api"]


def test_a_batch_reaches_the_partner_at_the_endpoint_its_row_has_now(
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    clock: Clock,
) -> None:
    reached: list[str] = []

    class Recording(InMemoryTransport):
        def __init__(self, endpoint: str) -> None:
            super().__init__()
            self.endpoint = endpoint

        def deliver(self, message: OutboundMessage) -> DeliveryResult:
            reached.append(self.endpoint)
            return super().deliver(message)

    resolver = PartnerTransports(
        session_factory, {"mem": Adapter("mem", "push", lambda e, _t: Recording(e))}, 2.5
    )

    def run() -> None:
        deliver_batch(
            session_factory,
            "social",
            ROUTINE,
            transports=resolver,
            now=clock,
            lease_s=30,
            batch_size=10,
            retry=RETRY,
        )

    outbox.deliveries(2)
    run()
    _set_partner(session_factory, endpoint="mem://moved")
    outbox.deliveries(1)
    run()
    resolver.close()

    assert reached == ["mem://partner", "mem://partner", "mem://moved"]
    with session_factory() as session:
        statuses = session.execute(select(OutboxDelivery.status)).scalars().all()
    assert statuses == [DeliveryStatus.DELIVERED] * 3
