"""hub.store.deliveries on SQLite and PostgreSQL: push claims, inbox, sweeper view, dead letters.

Push: ``claim_push_batch`` (a lane's due rows, oldest first, up to a limit, never one
row twice), ``record_push_outcomes`` (fenced by the claim's attempt number),
``release_push_claims`` and ``push_endpoint``. The pull inbox and its
acknowledgement. The sweeper's view, ``find_stuck_push_lanes``. Dead letters and
their replay.
"""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, sessionmaker

from hub.store import (
    AttemptOutcome,
    CircuitState,
    DeliveryAttempt,
    DeliveryMode,
    DeliveryNotDead,
    DeliveryNotFound,
    DeliveryStatus,
    Partner,
    PartnerCircuit,
    PushClaim,
    PushOutcome,
    StuckLane,
    acknowledge,
    claim_inbox,
    claim_push_batch,
    dead_letters,
    find_stuck_push_lanes,
    push_endpoint,
    record_push_outcomes,
    release_push_claims,
    replay_dead,
)
from tests.integration.queues.queue_helpers import Clock, Outbox


def _claim(
    session_factory: sessionmaker[Session],
    now: datetime,
    *,
    recipient: str = "social",
    urgent: bool = False,
    limit: int = 10,
    lease_s: float = 30,
) -> list[PushClaim]:
    """One worker's claim, in a transaction of its own."""
    with session_factory.begin() as session:
        return claim_push_batch(
            session, recipient, urgent=urgent, now=now, lease_s=lease_s, limit=limit
        )


def _ids(claims: list[PushClaim]) -> list[int]:
    return [claim.id for claim in claims]


def _record(session_factory: sessionmaker[Session], *outcomes: PushOutcome) -> None:
    with session_factory.begin() as session:
        record_push_outcomes(session, outcomes)


# --- push claims -----------------------------------------------------------------------


def test_a_claim_takes_the_lanes_due_rows_oldest_first_and_holds_them_under_a_lease(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given rows in every state, for this partner and others
    now = clock()
    later = now + timedelta(seconds=60)
    pending = outbox.deliveries(2)
    urgent = outbox.delivery(priority="urgent")
    retry_due = outbox.delivery(status=DeliveryStatus.RETRYING, attempts=1, next_attempt_at=now)
    outbox.delivery(status=DeliveryStatus.RETRYING, attempts=1, next_attempt_at=later)
    outbox.delivery(next_attempt_at=later)  # given back by a batch that failed
    orphaned = outbox.delivery(
        status=DeliveryStatus.IN_FLIGHT, attempts=1, lease_until=now - timedelta(seconds=1)
    )
    outbox.delivery(status=DeliveryStatus.IN_FLIGHT, attempts=1, lease_until=later)
    for final in (DeliveryStatus.DELIVERED, DeliveryStatus.DEAD, DeliveryStatus.CANCELLED):
        outbox.delivery(status=final)
    outbox.delivery(mode=DeliveryMode.PULL)
    outbox.delivery(recipient="health")

    # When a worker claims the routine lane
    claims = _claim(session_factory, now, lease_s=30)

    # Then it gets the due routine rows, oldest first, each under its next attempt number
    assert _ids(claims) == [*pending, retry_due, orphaned]
    assert [c.attempts for c in claims] == [1, 1, 2, 2]
    for claim in claims:
        row = outbox.get(claim.id)
        assert (claim.priority, claim.payload) == ("routine", row.payload)
        assert (claim.message_id, claim.message_type) == (
            row.message.message_id,
            "FamilyReferral",
        )
        assert (row.status, row.attempts, row.lease_until) == (
            DeliveryStatus.IN_FLIGHT,
            claim.attempts,
            now + timedelta(seconds=30),
        )
    # And the urgent lane has its own row, and nothing is left to claim in either
    assert _ids(_claim(session_factory, now, urgent=True)) == [urgent]
    assert _claim(session_factory, now) == []
    assert _claim(session_factory, now, urgent=True) == []


def test_a_claim_takes_at_most_its_limit(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    ids = outbox.deliveries(5)

    batches = [_ids(_claim(session_factory, clock(), limit=2)) for _ in range(4)]

    assert batches == [ids[:2], ids[2:4], ids[4:], []]


def test_concurrent_claims_never_take_the_same_row(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given ten due rows and four workers released at the same moment, each claiming five
    ids = outbox.deliveries(10)
    barrier = threading.Barrier(4)
    claimed: list[list[PushClaim]] = []

    def work() -> None:
        barrier.wait()
        claimed.append(_claim(session_factory, clock(), limit=5))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then every row is claimed exactly once, under attempt number 1
    every = [claim for claims in claimed for claim in claims]
    assert sorted(_ids(every)) == ids
    assert {claim.attempts for claim in every} == {1}
    assert all(outbox.get(i).attempts == 1 for i in ids)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_on_postgresql_a_claim_skips_the_rows_an_open_claim_holds_instead_of_waiting(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given worker A has claimed the three oldest rows, its transaction still open
    ids = outbox.deliveries(6)
    with session_factory.begin() as first:
        held = claim_push_batch(first, "social", urgent=False, now=clock(), lease_s=30, limit=3)

        # When worker B claims, unwilling to wait for a row lock
        with session_factory.begin() as second:
            second.execute(text("SET LOCAL lock_timeout = '2s'"))
            taken = claim_push_batch(
                second, "social", urgent=False, now=clock(), lease_s=30, limit=10
            )

    # Then B got the other rows at once
    assert (_ids(held), _ids(taken)) == (ids[:3], ids[3:])
    assert {outbox.get(i).attempts for i in ids} == {1}


def test_a_claim_takes_over_an_expired_lease_only(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    delivery_id = outbox.delivery()
    assert _ids(_claim(session_factory, clock(), lease_s=10)) == [delivery_id]

    assert _claim(session_factory, clock.advance(10), lease_s=10) == []
    [again] = _claim(session_factory, clock.advance(1), lease_s=10)

    assert (again.id, again.attempts) == (delivery_id, 2)
    assert outbox.get(delivery_id).lease_until == clock() + timedelta(seconds=10)


# --- push outcomes ---------------------------------------------------------------------


def test_outcomes_are_applied_to_their_rows_and_each_attempt_is_logged(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given four claimed rows
    delivered, retried, rejected, dead = outbox.deliveries(4)
    started = clock()
    _claim(session_factory, started)
    finished = clock.advance(1)
    due = finished + timedelta(seconds=7)
    long_error = "PartnerUnavailable: " + "x" * 1_500

    # When a worker records what became of each
    def outcome(
        delivery_id: int,
        kind: AttemptOutcome,
        *,
        attempt: int = 1,
        error: str | None = None,
        remote_reference: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> PushOutcome:
        return PushOutcome(
            delivery_id=delivery_id,
            attempt=attempt,
            outcome=kind,
            started_at=started,
            finished_at=finished,
            error=error,
            remote_reference=remote_reference,
            next_attempt_at=next_attempt_at,
        )

    _record(
        session_factory,
        outcome(delivered, "delivered", remote_reference="r-1"),
        outcome(retried, "retry", error="PartnerUnavailable: HTTP 503", next_attempt_at=due),
        outcome(rejected, "rejected", error="PartnerRejected: HTTP 422"),
        outcome(dead, "dead", error=long_error),
    )

    # Then each row has its state, out of the lease
    rows = {i: outbox.get(i) for i in (delivered, retried, rejected, dead)}
    assert [(r.status, r.lease_until, r.attempts) for r in rows.values()] == [
        (DeliveryStatus.DELIVERED, None, 1),
        (DeliveryStatus.RETRYING, None, 1),
        (DeliveryStatus.DEAD, None, 1),
        (DeliveryStatus.DEAD, None, 1),
    ]
    assert (
        rows[delivered].delivered_at,
        rows[delivered].remote_reference,
        rows[delivered].last_error,
    ) == (finished, "r-1", None)
    assert (rows[retried].next_attempt_at, rows[retried].last_error) == (
        due,
        "PartnerUnavailable: HTTP 503",
    )
    retry_due = rows[retried].next_attempt_at
    assert retry_due is not None
    assert retry_due.tzinfo is UTC
    assert (rows[rejected].next_attempt_at, rows[rejected].last_error) == (
        None,
        "PartnerRejected: HTTP 422",
    )
    # (the row keeps as much of a long error as its column holds; the log keeps it all)
    assert rows[dead].last_error == long_error[:1_000]
    # And each attempt is in the log, with its times
    assert [
        (a.number, a.started_at, a.finished_at, a.outcome, a.error)
        for row in rows.values()
        for a in row.attempt_log
    ] == [
        (1, started, finished, "delivered", None),
        (1, started, finished, "retry", "PartnerUnavailable: HTTP 503"),
        (1, started, finished, "rejected", "PartnerRejected: HTTP 422"),
        (1, started, finished, "dead", long_error),
    ]

    # When the retried row is claimed when due and delivered, its error is cleared
    [claim] = _claim(session_factory, clock.advance(7))
    _record(session_factory, outcome(retried, "delivered", attempt=2))
    assert claim.attempts == 2
    row = outbox.get(retried)
    assert (row.status, row.next_attempt_at, row.last_error) == (
        DeliveryStatus.DELIVERED,
        None,
        None,
    )


def test_what_a_superseded_claim_records_is_logged_but_not_applied(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given worker A's lease on two rows ran out, and worker B claimed them again
    # and delivered the first
    first, second = outbox.deliveries(2)
    started = clock()
    stale = _claim(session_factory, started, lease_s=5)
    fresh = _claim(session_factory, clock.advance(6), lease_s=5)
    assert [c.attempts for c in fresh] == [2, 2]
    _record(
        session_factory,
        PushOutcome(first, 2, "delivered", clock(), clock(), remote_reference="r-2"),
    )

    # When A finally records its failure of the first row and gives back the second
    with session_factory.begin() as session:
        record_push_outcomes(
            session,
            [PushOutcome(first, 1, "retry", started, clock(), "PartnerUnavailable: timeout")],
        )
        release_push_claims(session, stale[1:], due=clock())

    # Then the first stays delivered with both attempts logged, and B keeps the second
    row = outbox.get(first)
    assert (row.status, row.remote_reference) == (DeliveryStatus.DELIVERED, "r-2")
    assert [(a.number, a.outcome) for a in row.attempt_log] == [(2, "delivered"), (1, "retry")]
    row = outbox.get(second)
    assert (row.status, row.attempts, row.lease_until) == (
        DeliveryStatus.IN_FLIGHT,
        2,
        clock() + timedelta(seconds=5),
    )


def test_a_release_gives_back_unattempted_rows_as_they_were_due_at_the_given_time(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given a new row and one failed twice, both claimed
    fresh = outbox.delivery()
    retried = outbox.delivery(
        status=DeliveryStatus.RETRYING, attempts=2, next_attempt_at=clock() - timedelta(seconds=1)
    )
    claims = _claim(session_factory, clock())
    assert [c.attempts for c in claims] == [1, 3]

    # When the batch gives them back, due in 30 s
    due = clock() + timedelta(seconds=30)
    with session_factory.begin() as session:
        release_push_claims(session, claims, due=due)

    # Then each has the state and attempt count it had, no attempt logged, due then
    assert [
        (r.status, r.attempts, r.lease_until, r.next_attempt_at, r.attempt_log)
        for r in (outbox.get(fresh), outbox.get(retried))
    ] == [
        (DeliveryStatus.PENDING, 0, None, due, []),
        (DeliveryStatus.RETRYING, 2, None, due, []),
    ]
    # And they are claimed again only then, under the same attempt numbers as before
    assert _claim(session_factory, clock.advance(29)) == []
    again = _claim(session_factory, clock.advance(1))
    assert [(c.id, c.attempts) for c in again] == [(fresh, 1), (retried, 3)]


def test_push_endpoint_is_the_partners_endpoint_as_it_is_now(
    session_factory: sessionmaker[Session], outbox: Outbox
) -> None:
    outbox.partner("health", endpoint=None)
    with session_factory.begin() as session:
        assert push_endpoint(session, "social") == "mem://partner"
        assert push_endpoint(session, "health") is None
        assert push_endpoint(session, "nobody") is None
        session.execute(
            update(Partner).where(Partner.code == "social").values(endpoint="https://moved/api")
        )
        assert push_endpoint(session, "social") == "https://moved/api"


# --- pull inbox ------------------------------------------------------------------------


def test_inbox_offers_urgent_first_and_hides_offered_rows_until_visibility_ends(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    outbox.partner("police", mode=DeliveryMode.PULL, endpoint=None)
    routine = outbox.deliveries(2, recipient="police", mode=DeliveryMode.PULL)
    urgent = outbox.delivery(recipient="police", mode=DeliveryMode.PULL, priority="urgent")
    outbox.delivery(recipient="social", mode=DeliveryMode.PULL)  # someone else's

    with session_factory.begin() as session:
        first = [
            r.id for r in claim_inbox(session, "police", now=clock(), visibility_s=60, limit=2)
        ]
    with session_factory.begin() as session:
        second = [
            r.id for r in claim_inbox(session, "police", now=clock(), visibility_s=60, limit=10)
        ]
    with session_factory.begin() as session:
        empty = claim_inbox(session, "police", now=clock.advance(59), visibility_s=60, limit=10)
    with session_factory.begin() as session:
        again = claim_inbox(session, "police", now=clock.advance(2), visibility_s=60, limit=10)

    assert first == [urgent, routine[0]]
    assert second == [routine[1]]
    assert empty == []
    assert sorted(r.id for r in again) == sorted([urgent, *routine])
    assert {r.attempts for r in again} == {2}
    assert all(r.status is DeliveryStatus.IN_FLIGHT for r in again)


def test_concurrent_inbox_polls_never_get_the_same_row(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    outbox.partner("police", mode=DeliveryMode.PULL, endpoint=None)
    ids = outbox.deliveries(20, recipient="police", mode=DeliveryMode.PULL)
    barrier = threading.Barrier(4)
    offered: list[int] = []

    def poll() -> None:
        barrier.wait()
        with session_factory.begin() as session:
            rows = claim_inbox(session, "police", now=clock(), visibility_s=60, limit=5)
            offered.extend(r.id for r in rows)

    threads = [threading.Thread(target=poll) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(offered) == sorted(set(offered))
    assert set(offered) <= set(ids)


def test_acknowledge_is_idempotent_and_refuses_foreign_or_unknown_ids(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    outbox.partner("police", mode=DeliveryMode.PULL, endpoint=None)
    mine = outbox.delivery(recipient="police", mode=DeliveryMode.PULL)
    theirs = outbox.delivery(recipient="social", mode=DeliveryMode.PULL)
    with session_factory.begin() as session:
        claim_inbox(session, "police", now=clock(), visibility_s=60, limit=10)

    with session_factory.begin() as session:
        first = acknowledge(session, "police", mine, now=clock())
        assert (first.status, first.delivered_at) == (DeliveryStatus.DELIVERED, clock())
    with session_factory.begin() as session:
        again = acknowledge(session, "police", mine, now=clock.advance(5))
        assert again.delivered_at == clock() - timedelta(seconds=5)

    for unknown in (theirs, 424_242):
        with session_factory.begin() as session, pytest.raises(DeliveryNotFound) as caught:
            acknowledge(session, "police", unknown, now=clock())
        assert caught.value.delivery_id == unknown
        assert isinstance(caught.value, LookupError)
    assert outbox.get(theirs).status is DeliveryStatus.PENDING


def test_late_acknowledgement_still_counts(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    outbox.partner("police", mode=DeliveryMode.PULL, endpoint=None)
    delivery_id = outbox.delivery(recipient="police", mode=DeliveryMode.PULL)
    with session_factory.begin() as session:
        claim_inbox(session, "police", now=clock(), visibility_s=10, limit=1)
    with session_factory.begin() as session:
        acknowledge(session, "police", delivery_id, now=clock.advance(30))
    with session_factory.begin() as session:
        assert claim_inbox(session, "police", now=clock(), visibility_s=10, limit=1) == []


# --- the sweeper's view ----------------------------------------------------------------

#: How long a row waits for the wake sent when it was written before the sweeper wakes its lane.
STUCK_AFTER_S = 120


def _stuck(session_factory: sessionmaker[Session], now: datetime) -> list[StuckLane]:
    with session_factory() as session:
        return find_stuck_push_lanes(session, now=now, stuck_after_s=STUCK_AFTER_S)


def test_a_lane_is_stuck_when_its_wake_was_lost_its_rows_are_due_again_or_its_worker_died(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given one partner per kind of row, each row the only one of its lane
    now = clock()
    long_ago = now - timedelta(seconds=600)
    outbox.delivery(recipient="lost-wake", created_at=long_ago)
    outbox.delivery(recipient="lost-urgent", created_at=long_ago, priority="urgent")
    outbox.delivery(recipient="just-written")
    outbox.delivery(recipient="replayed", next_attempt_at=now)
    outbox.delivery(recipient="retry-due", status=DeliveryStatus.RETRYING, next_attempt_at=now)
    outbox.delivery(
        recipient="retry-later",
        status=DeliveryStatus.RETRYING,
        created_at=long_ago,
        next_attempt_at=now + timedelta(seconds=3_600),
    )
    outbox.delivery(
        recipient="given-back",
        created_at=long_ago,
        next_attempt_at=now + timedelta(seconds=3_600),
    )
    outbox.delivery(
        recipient="worker-died",
        status=DeliveryStatus.IN_FLIGHT,
        lease_until=now + timedelta(seconds=30),
    )
    for final in (DeliveryStatus.DELIVERED, DeliveryStatus.DEAD, DeliveryStatus.CANCELLED):
        outbox.delivery(recipient="finished", status=final, created_at=long_ago)
    outbox.delivery(recipient="pulls", mode=DeliveryMode.PULL, created_at=long_ago)

    def lanes(*routine: str) -> list[StuckLane]:
        return [StuckLane("lost-urgent", True), *(StuckLane(r, False) for r in sorted(routine))]

    # Then now: the lost wakes and the rows due again, urgent lanes first
    assert _stuck(session_factory, now) == lanes("lost-wake", "replayed", "retry-due")
    # Once the lease ran out, the dead worker's lane
    assert _stuck(session_factory, now + timedelta(seconds=31)) == lanes(
        "lost-wake", "replayed", "retry-due", "worker-died"
    )
    # Once the wake sent when a row was written is overdue, that row's lane
    assert _stuck(session_factory, now + timedelta(seconds=STUCK_AFTER_S + 1)) == lanes(
        "just-written", "lost-wake", "replayed", "retry-due", "worker-died"
    )


def test_a_lane_a_worker_holds_under_a_live_lease_is_not_stuck_but_the_other_lane_is(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given both lanes of a partner with rows nobody woke, and a worker on the routine lane
    now = clock()
    long_ago = now - timedelta(seconds=600)
    outbox.deliveries(2, created_at=long_ago)
    outbox.delivery(created_at=long_ago, priority="urgent")
    outbox.delivery(status=DeliveryStatus.IN_FLIGHT, lease_until=now + timedelta(seconds=30))

    # Then only the urgent lane needs a wake (the worker wakes its own lane again)…
    assert _stuck(session_factory, now) == [StuckLane("social", True)]
    # …until that worker's lease runs out
    assert _stuck(session_factory, now + timedelta(seconds=31)) == [
        StuckLane("social", True),
        StuckLane("social", False),
    ]


def test_lanes_of_a_paused_partner_or_one_whose_circuit_blocks_are_left_out(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given partners with rows nobody woke: paused, circuit open, probe in flight, closed
    now = clock()
    circuits = {
        "health": (CircuitState.OPEN, now + timedelta(seconds=60)),
        "kdn": (CircuitState.HALF_OPEN, now + timedelta(seconds=30)),
        "school": (CircuitState.CLOSED, None),
    }
    with session_factory.begin() as session:
        session.execute(update(Partner).where(Partner.code == "social").values(paused=True))
        for code, (state, probe_at) in circuits.items():
            session.add(PartnerCircuit(partner_code=code, state=state.value, probe_at=probe_at))
    for code in ("social", *circuits):
        if code != "social":
            outbox.partner(code)
        outbox.delivery(recipient=code, created_at=now - timedelta(seconds=600))

    # Then only the closed circuit's lane is woken now; the others once their circuit
    # lets a probe through; the paused partner's not until it is resumed
    assert _stuck(session_factory, now) == [StuckLane("school", False)]
    assert _stuck(session_factory, now + timedelta(seconds=61)) == [
        StuckLane("health", False),
        StuckLane("kdn", False),
        StuckLane("school", False),
    ]
    with session_factory.begin() as session:
        session.execute(update(Partner).where(Partner.code == "social").values(paused=False))
    assert StuckLane("social", False) in _stuck(session_factory, now)


# --- dead letters ----------------------------------------------------------------------


def test_dead_letters_lists_dead_rows_by_recipient(
    session_factory: sessionmaker[Session], outbox: Outbox
) -> None:
    social = outbox.deliveries(2, status=DeliveryStatus.DEAD)
    kdn = outbox.delivery(recipient="kdn", status=DeliveryStatus.DEAD)
    outbox.delivery(status=DeliveryStatus.RETRYING)

    with session_factory() as session:
        assert [r.id for r in dead_letters(session, limit=10)] == [*social, kdn]
        assert [r.id for r in dead_letters(session, recipient="kdn", limit=10)] == [kdn]
        assert [r.id for r in dead_letters(session, limit=1)] == social[:1]


def test_replay_dead_makes_the_row_due_now_keeps_its_history_and_the_sweeper_wakes_it(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given a row the partner refused
    delivery_id = outbox.delivery()
    _claim(session_factory, clock())
    _record(
        session_factory,
        PushOutcome(delivery_id, 1, "rejected", clock(), clock(), "PartnerRejected: HTTP 400"),
    )

    # When an administrator replays it
    with session_factory.begin() as session:
        row = replay_dead(session, delivery_id, now=clock.advance(60))
        assert (row.status, row.next_attempt_at, row.lease_until, row.attempts) == (
            DeliveryStatus.PENDING,
            clock(),
            None,
            1,
        )
        assert row.last_error == "PartnerRejected: HTTP 400"

    # Then its history is kept, the sweeper's next pass wakes its lane, and a worker
    # claims it as its second attempt
    with session_factory() as session:
        attempts = session.execute(
            select(DeliveryAttempt.outcome).where(DeliveryAttempt.delivery_id == delivery_id)
        ).scalars()
        assert list(attempts) == ["rejected"]
    assert _stuck(session_factory, clock()) == [StuckLane("social", False)]
    assert [c.attempts for c in _claim(session_factory, clock())] == [2]

    # And only a dead row can be replayed
    with session_factory.begin() as session, pytest.raises(DeliveryNotDead) as not_dead:
        replay_dead(session, delivery_id, now=clock())
    assert not_dead.value.status is DeliveryStatus.IN_FLIGHT
    with session_factory.begin() as session, pytest.raises(DeliveryNotFound):
        replay_dead(session, 999_999, now=clock())
