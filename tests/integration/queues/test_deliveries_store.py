"""hub.store.deliveries on SQLite and PostgreSQL: claims, outcomes, inbox, sweeper, dead letters."""

import threading
from datetime import UTC, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.store import (
    MAX_RESEND_DOUBLINGS,
    DeliveryAttempt,
    DeliveryMode,
    DeliveryNotDead,
    DeliveryNotFound,
    DeliveryStatus,
    acknowledge,
    claim_for_push,
    claim_inbox,
    dead_letters,
    find_stuck_push_deliveries,
    mark_dead,
    mark_enqueued,
    record_dead,
    record_delivered,
    record_retry,
    replay_dead,
    schedule_retry,
)
from tests.integration.queues.queue_helpers import Clock, Outbox

# --- push claims -----------------------------------------------------------------------


def test_claim_is_exclusive_between_concurrent_sessions(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given one pending row and eight workers released at the same moment
    delivery_id = outbox.delivery()
    barrier = threading.Barrier(8)
    winners: list[int] = []

    def claim() -> None:
        barrier.wait()
        with session_factory.begin() as session:
            row = claim_for_push(session, delivery_id, now=clock(), lease_s=30)
            if row is not None:
                winners.append(row.attempts)

    # When they all claim it
    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then exactly one holds it, under attempt number 1
    assert winners == [1]
    row = outbox.get(delivery_id)
    assert row.status is DeliveryStatus.IN_FLIGHT
    assert row.lease_until == clock() + timedelta(seconds=30)


def test_claim_takes_over_an_expired_lease_only(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    delivery_id = outbox.delivery()
    with session_factory.begin() as session:
        assert claim_for_push(session, delivery_id, now=clock(), lease_s=10) is not None

    with session_factory.begin() as session:
        assert claim_for_push(session, delivery_id, now=clock.advance(9), lease_s=10) is None
    with session_factory.begin() as session:
        row = claim_for_push(session, delivery_id, now=clock.advance(2), lease_s=10)
        assert row is not None
        assert row.attempts == 2


@pytest.mark.parametrize(
    "status", [DeliveryStatus.DELIVERED, DeliveryStatus.DEAD, DeliveryStatus.CANCELLED]
)
def test_final_rows_are_not_claimable(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock, status: DeliveryStatus
) -> None:
    delivery_id = outbox.delivery(status=status)
    with session_factory.begin() as session:
        assert claim_for_push(session, delivery_id, now=clock(), lease_s=10) is None


def test_pull_rows_and_unknown_ids_are_not_claimable_for_push(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    pull_id = outbox.delivery(mode=DeliveryMode.PULL)
    with session_factory.begin() as session:
        assert claim_for_push(session, pull_id, now=clock(), lease_s=10) is None
        assert claim_for_push(session, 987_654, now=clock(), lease_s=10) is None


def test_outcome_of_a_superseded_claim_is_logged_but_not_applied(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given worker A's lease ran out and worker B claimed the row and delivered it
    delivery_id = outbox.delivery()
    started = clock()
    with session_factory.begin() as session:
        claim_for_push(session, delivery_id, now=started, lease_s=5)
    with session_factory.begin() as session:
        claim_for_push(session, delivery_id, now=clock.advance(6), lease_s=5)
        assert record_delivered(
            session,
            delivery_id,
            attempt=2,
            started_at=clock(),
            now=clock(),
            remote_reference="r-2",
        )

    # When A finally records its failure
    with session_factory.begin() as session:
        applied = record_retry(
            session,
            delivery_id,
            attempt=1,
            started_at=started,
            now=clock(),
            next_attempt_at=clock(),
            error="PartnerUnavailable: timeout",
        )

    # Then the row stays delivered, and both attempts are in the log
    assert not applied
    row = outbox.get(delivery_id)
    assert row.status is DeliveryStatus.DELIVERED
    assert row.remote_reference == "r-2"
    assert [(a.number, a.outcome) for a in row.attempt_log] == [(2, "delivered"), (1, "retry")]


def test_record_retry_and_dead_write_attempts_and_state(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    delivery_id = outbox.delivery()
    with session_factory.begin() as session:
        claim_for_push(session, delivery_id, now=clock(), lease_s=5)
        record_retry(
            session,
            delivery_id,
            attempt=1,
            started_at=clock(),
            now=clock(),
            next_attempt_at=clock() + timedelta(seconds=7),
            error="PartnerUnavailable: HTTP 503",
        )
    row = outbox.get(delivery_id)
    assert (row.status, row.lease_until, row.last_error) == (
        DeliveryStatus.RETRYING,
        None,
        "PartnerUnavailable: HTTP 503",
    )
    assert row.next_attempt_at == clock() + timedelta(seconds=7)
    assert row.next_attempt_at.tzinfo is UTC

    with session_factory.begin() as session:
        claim_for_push(session, delivery_id, now=clock(), lease_s=5)
        record_dead(
            session,
            delivery_id,
            attempt=2,
            started_at=clock(),
            now=clock(),
            error="PartnerRejected: HTTP 422",
            outcome="rejected",
        )
    row = outbox.get(delivery_id)
    assert row.status is DeliveryStatus.DEAD
    assert [(a.number, a.outcome, a.error) for a in row.attempt_log] == [
        (1, "retry", "PartnerUnavailable: HTTP 503"),
        (2, "rejected", "PartnerRejected: HTTP 422"),
    ]


def test_schedule_retry_and_mark_dead_touch_only_matching_rows(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    retrying = outbox.delivery(status=DeliveryStatus.RETRYING)
    delivered = outbox.delivery(status=DeliveryStatus.DELIVERED)
    due = clock() + timedelta(minutes=3)
    with session_factory.begin() as session:
        assert schedule_retry(session, retrying, next_attempt_at=due)
        assert not schedule_retry(session, delivered, next_attempt_at=due)
        assert mark_dead(session, retrying, error="broker gave up")
        assert not mark_dead(session, retrying, error="again")
        assert not mark_dead(session, delivered, error="too late")
    assert outbox.get(retrying).status is DeliveryStatus.DEAD
    assert outbox.get(retrying).last_error == "broker gave up"
    assert outbox.get(delivered).status is DeliveryStatus.DELIVERED


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


def test_find_stuck_push_deliveries(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    stuck_after_s = 120
    created = clock()
    long_ago = created - timedelta(seconds=600)
    # Given rows in every state, created now
    fresh = outbox.delivery()
    never_sent = outbox.delivery(created_at=long_ago)
    sent_long_ago = outbox.delivery(created_at=long_ago, enqueued_at=long_ago)
    sent_recently = outbox.delivery(created_at=long_ago, enqueued_at=created)
    urgent = outbox.delivery(created_at=long_ago, priority="urgent")
    orphaned = outbox.delivery(
        status=DeliveryStatus.IN_FLIGHT,
        enqueued_at=created,
        lease_until=created + timedelta(seconds=30),
    )
    held = outbox.delivery(
        status=DeliveryStatus.IN_FLIGHT,
        enqueued_at=created,
        lease_until=created + timedelta(seconds=3600),
    )
    overdue_retry = outbox.delivery(
        status=DeliveryStatus.RETRYING,
        created_at=long_ago,
        enqueued_at=long_ago,
        next_attempt_at=created,
    )
    waiting_retry = outbox.delivery(
        status=DeliveryStatus.RETRYING,
        created_at=long_ago,
        enqueued_at=long_ago,
        next_attempt_at=created + timedelta(seconds=3600),
    )
    outbox.delivery(status=DeliveryStatus.DELIVERED, created_at=long_ago)
    outbox.delivery(status=DeliveryStatus.DEAD, created_at=long_ago)
    outbox.delivery(mode=DeliveryMode.PULL, created_at=long_ago)

    def stuck_at(seconds_later: float) -> list[int]:
        with session_factory() as session:
            rows = find_stuck_push_deliveries(
                session,
                now=created + timedelta(seconds=seconds_later),
                stuck_after_s=stuck_after_s,
                limit=100,
            )
            return [r.id for r in rows]

    # Then now: only rows unsent for longer than stuck_after_s, urgent first
    assert stuck_at(0) == [urgent, never_sent, sent_long_ago]
    # After the lease ran out, the orphaned in-flight row too, at once
    assert stuck_at(31) == [urgent, never_sent, sent_long_ago, orphaned]
    # After stuck_after_s: the overdue retry, and the recently sent rows
    assert stuck_at(121) == [
        urgent,
        fresh,
        never_sent,
        sent_long_ago,
        sent_recently,
        orphaned,
        overdue_retry,
    ]
    assert held not in stuck_at(121)
    assert waiting_retry not in stuck_at(121)


def test_marking_enqueued_keeps_a_row_off_the_sweeper_for_a_while(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    orphaned = outbox.delivery(
        status=DeliveryStatus.IN_FLIGHT, lease_until=clock() + timedelta(seconds=5)
    )
    resent_at = clock.advance(10)

    with session_factory.begin() as session:
        found = find_stuck_push_deliveries(session, now=resent_at, stuck_after_s=60, limit=10)
        assert [r.id for r in found] == [orphaned]
        mark_enqueued(session, [orphaned], now=resent_at)

    with session_factory() as session:
        assert (
            find_stuck_push_deliveries(session, now=clock.advance(30), stuck_after_s=60, limit=10)
            == []
        )
        # A re-sent row waits twice as long before the next re-send (see below)
        again = find_stuck_push_deliveries(
            session, now=clock.advance(91), stuck_after_s=60, limit=10
        )
        assert [r.id for r in again] == [orphaned]
    assert outbox.get(orphaned).enqueued_at == resent_at


def test_each_resend_doubles_the_wait_until_a_worker_takes_the_row(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given a row enqueued at ingest and still waiting behind a long backlog
    waiting = outbox.delivery(enqueued_at=clock())

    def sweep(after_s: float) -> bool:
        """Advance the clock; a sweeper pass: was the row re-sent?"""
        now = clock.advance(after_s)
        with session_factory.begin() as session:
            found = find_stuck_push_deliveries(session, now=now, stuck_after_s=60, limit=10)
            mark_enqueued(session, [r.id for r in found], now=now)
        return [r.id for r in found] == [waiting]

    # Then it is re-sent after 60 s, then after 120 s more, then 240 s more…
    assert [sweep(61), sweep(119), sweep(2), sweep(239), sweep(2)] == [
        True, False, True, False, True,
    ]  # fmt: skip
    assert outbox.get(waiting).resends == 3
    # …and the wait stops growing at 2**MAX_RESEND_DOUBLINGS times 60 s
    for _ in range(MAX_RESEND_DOUBLINGS):
        sweep(60 * 2**MAX_RESEND_DOUBLINGS + 1)
    assert [sweep(60 * 2**MAX_RESEND_DOUBLINGS - 1), sweep(2)] == [False, True]

    # When a worker finally takes it, the count starts afresh
    with session_factory.begin() as session:
        claim_for_push(session, waiting, now=clock(), lease_s=5)
    assert outbox.get(waiting).resends == 0
    # (and should that worker die, the row is re-sent as soon as its lease runs out)
    assert [sweep(4), sweep(2)] == [False, True]


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


def test_replay_dead_makes_the_row_pending_and_keeps_its_history(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    delivery_id = outbox.delivery()
    with session_factory.begin() as session:
        claim_for_push(session, delivery_id, now=clock(), lease_s=5)
        record_dead(
            session,
            delivery_id,
            attempt=1,
            started_at=clock(),
            now=clock(),
            error="PartnerRejected: HTTP 400",
            outcome="rejected",
        )

    with session_factory.begin() as session:
        row = replay_dead(session, delivery_id, now=clock.advance(60))
        assert (row.status, row.next_attempt_at, row.enqueued_at) == (
            DeliveryStatus.PENDING,
            clock(),
            None,
        )
    with session_factory() as session:
        attempts = session.execute(
            select(DeliveryAttempt.outcome).where(DeliveryAttempt.delivery_id == delivery_id)
        ).scalars()
        assert list(attempts) == ["rejected"]
    with session_factory.begin() as session, pytest.raises(DeliveryNotDead) as not_dead:
        replay_dead(session, delivery_id, now=clock())
    assert not_dead.value.status is DeliveryStatus.PENDING
    with session_factory.begin() as session, pytest.raises(DeliveryNotFound):
        replay_dead(session, 999_999, now=clock())
