"""The sweeper: one pass wakes each lane whose due rows nobody is delivering; the loop goes on.

A lane is stuck when its wake was lost (a pending row older than ``stuck_after_s``),
a row is due again (a retry, a replay, a release) or a dead worker's lease ran out,
and no worker holds a row of it under a live lease. Paused partners and open
circuits wait. The last tests lose the wakes in a real Redis and RabbitMQ and let
one pass recover them.
"""

import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import InMemoryTransport
from hub.config import Settings
from hub.store import (
    CircuitState,
    DeliveryMode,
    DeliveryStatus,
    Partner,
    PartnerCircuit,
    claim_push_batch,
    replay_dead,
)
from queues import (
    PartnerTransports,
    build_broker,
    build_middleware,
    run_sweeper,
    utc_now,
    wake_stuck_lanes,
)
from tests.integration.queues.queue_helpers import (
    Clock,
    Outbox,
    RunningWorker,
    make_context,
    start_worker,
    wait_until,
)

STUCK_AFTER_S = 120.0


def _sweep(session_factory: sessionmaker[Session], now: datetime) -> list[tuple[str, str]]:
    """One pass at ``now``; the (partner, lane) pairs it woke, in order."""
    woken: list[tuple[str, str]] = []
    with session_factory() as session:
        count = wake_stuck_lanes(
            session,
            now=now,
            stuck_after_s=STUCK_AFTER_S,
            wake=lambda recipient, lane: woken.append((recipient, lane)),
        )
    assert count == len(woken)
    return woken


def test_one_pass_wakes_each_lane_whose_wake_was_lost_once_urgent_first(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given rows whose wakes never reached a worker: three routine and one urgent for social,
    # beside rows no push worker wants (pulled, delivered)
    outbox.deliveries(3)
    outbox.delivery(priority="urgent")
    outbox.delivery(mode=DeliveryMode.PULL)
    outbox.delivery(status=DeliveryStatus.DELIVERED)
    # and a partner whose row is younger than stuck_after: its wake may still be on its way
    outbox.partner("kdn")
    clock.advance(STUCK_AFTER_S + 1)
    outbox.delivery(recipient="kdn")

    # When the sweeper passes, twice
    first, second = _sweep(session_factory, clock()), _sweep(session_factory, clock())

    # Then each of social's lanes is woken once, urgent first, and a pass marks nothing:
    # the next wakes them again while the rows still wait
    assert first == [("social", "urgent"), ("social", "routine")]
    assert second == first


def test_rows_due_again_wake_their_lanes_at_once_and_rows_due_later_do_not(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given, for three partners, rows written just now: a retry now due (its delayed wake
    # lost), a retry due in a minute, and a dead row an administrator replayed
    for code in ("due", "later", "replayed"):
        outbox.partner(code)
    outbox.delivery(
        recipient="due", status=DeliveryStatus.RETRYING, attempts=1, next_attempt_at=clock()
    )
    outbox.delivery(
        recipient="later",
        status=DeliveryStatus.RETRYING,
        attempts=1,
        next_attempt_at=clock() + timedelta(minutes=1),
    )
    dead = outbox.delivery(recipient="replayed", status=DeliveryStatus.DEAD, attempts=4)
    with session_factory.begin() as session:
        replay_dead(session, dead, now=clock())

    # When the sweeper passes now, and again two minutes later
    now, later = _sweep(session_factory, clock()), _sweep(session_factory, clock.advance(120))

    # Then the due retry and the replay are woken now, the other retry once it is due
    assert now == [("due", "routine"), ("replayed", "routine")]
    assert later == [("due", "routine"), ("later", "routine"), ("replayed", "routine")]


def test_a_dead_workers_batch_is_woken_once_its_lease_runs_out(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given a batch of five urgent rows claimed by a worker (lease 30 s), which then died
    outbox.deliveries(5, priority="urgent")
    with session_factory.begin() as session:
        claimed = claim_push_batch(
            session, "social", urgent=True, now=clock(), lease_s=30, limit=20
        )
    assert len(claimed) == 5

    # When the sweeper passes inside the lease, and after it
    inside, after = (
        _sweep(session_factory, clock.advance(29)),
        _sweep(session_factory, clock.advance(2)),
    )

    # Then the lane is left to its worker first, and woken once the lease has run out
    assert inside == []
    assert after == [("social", "urgent")]


def test_a_long_backlog_under_a_live_lease_is_not_woken_every_pass(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given 200 routine rows waiting long past stuck_after, and an urgent one
    outbox.deliveries(200)
    outbox.delivery(priority="urgent")
    clock.advance(STUCK_AFTER_S * 3)
    # and a worker delivering a batch of the routine ones (it wakes the lane again itself)
    with session_factory.begin() as session:
        batch = claim_push_batch(session, "social", urgent=False, now=clock(), lease_s=30, limit=20)
    assert len(batch) == 20

    # When the sweeper passes during the batch
    woken = _sweep(session_factory, clock.advance(10))

    # Then only the urgent lane is woken: the 180 routine rows are the worker's to reach
    assert woken == [("social", "urgent")]


def test_a_paused_partner_is_not_woken_until_resumed(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given a paused partner with rows waiting long past stuck_after, one of them due
    outbox.deliveries(3)
    outbox.delivery(status=DeliveryStatus.RETRYING, attempts=1, next_attempt_at=clock())
    clock.advance(STUCK_AFTER_S * 3)
    _set_paused(session_factory, "social", paused=True)

    # When the sweeper passes while it is paused, then after it is resumed
    paused = _sweep(session_factory, clock())
    _set_paused(session_factory, "social", paused=False)
    resumed = _sweep(session_factory, clock())

    # Then the first pass leaves it alone, the one after the resume wakes it
    assert (paused, resumed) == ([], [("social", "routine")])


def _set_paused(session_factory: sessionmaker[Session], code: str, *, paused: bool) -> None:
    with session_factory.begin() as session:
        session.execute(update(Partner).where(Partner.code == code).values(paused=paused))


@pytest.mark.parametrize("state", [CircuitState.OPEN, CircuitState.HALF_OPEN])
def test_a_blocking_circuit_is_not_woken_until_its_probe_is_due(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock, state: CircuitState
) -> None:
    # Given rows long stuck for a partner whose circuit is open (or probing) for 30 s more
    outbox.deliveries(2, priority="urgent")
    clock.advance(STUCK_AFTER_S * 3)
    with session_factory.begin() as session:
        session.add(
            PartnerCircuit(
                partner_code="social",
                state=state.value,
                consecutive_failures=5,
                opened_at=clock(),
                probe_at=clock() + timedelta(seconds=30),
            )
        )

    # When the sweeper passes before the probe is due, and once it is
    blocked, due = (
        _sweep(session_factory, clock.advance(29)),
        _sweep(session_factory, clock.advance(1)),
    )

    # Then the lane waits, then is woken for its probe
    assert (blocked, due) == ([], [("social", "urgent")])


def test_rows_no_push_worker_wants_never_wake_a_lane(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given, long past stuck_after, only rows that are delivered, dead, pulled, or
    # in flight under a pull's visibility that ran out
    outbox.delivery(status=DeliveryStatus.DELIVERED)
    outbox.delivery(status=DeliveryStatus.DEAD, next_attempt_at=clock())
    outbox.delivery(mode=DeliveryMode.PULL)
    outbox.delivery(mode=DeliveryMode.PULL, status=DeliveryStatus.IN_FLIGHT, lease_until=clock())
    clock.advance(STUCK_AFTER_S * 3)

    # Then no pass wakes anything
    assert _sweep(session_factory, clock()) == []


def test_a_failed_wake_propagates_and_the_next_pass_wakes_again(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given a lane whose wake was lost
    outbox.delivery()
    clock.advance(STUCK_AFTER_S + 1)

    def broker_down(_recipient: str, _lane: str) -> None:
        raise ConnectionError("redis down")

    # When a pass cannot reach the broker
    with pytest.raises(ConnectionError), session_factory() as session:
        wake_stuck_lanes(session, now=clock(), stuck_after_s=STUCK_AFTER_S, wake=broker_down)

    # Then the next pass wakes the lane
    assert _sweep(session_factory, clock()) == [("social", "routine")]


class _FlakyBroker(StubBroker):
    """An in-memory broker that refuses its first send, as a Redis briefly down would."""

    sends = 0

    def enqueue(
        self, message: dramatiq.Message[Any], *, delay: int | None = None
    ) -> dramatiq.Message[Any]:
        self.sends += 1
        if self.sends == 1:
            raise ConnectionError("redis down")
        return super().enqueue(message, delay=delay)


def test_the_loop_logs_a_failed_pass_and_goes_on(
    session_factory: sessionmaker[Session],
    transports: PartnerTransports,
    real_time_outbox: Outbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a row nobody woke, and a broker that fails the first send
    delivery_id = real_time_outbox.delivery()
    broker = _FlakyBroker(middleware=build_middleware())
    running = start_worker(broker, make_context(session_factory, transports))
    stop = threading.Event()
    settings = Settings(sweep_interval_s=0.01, stuck_after_s=0.001)
    sweeper = threading.Thread(
        target=run_sweeper, args=(session_factory, running.actors, settings, stop)
    )

    # When the loop runs until the row is delivered
    running.worker.start()
    with caplog.at_level(logging.ERROR, logger="queues.sweeper"):
        sweeper.start()
        try:
            wait_until(
                lambda: real_time_outbox.get(delivery_id).status is DeliveryStatus.DELIVERED,
                what="the swept row to be delivered",
            )
        finally:
            stop.set()
            sweeper.join()
            running.worker.stop()

    # Then the failed pass was logged and a later pass woke the lane
    assert broker.sends >= 2
    assert "sweeper pass failed" in caplog.text


# --- a real broker loses the wakes; one pass recovers them ---------------------------


@pytest.fixture
def broker_worker(
    request: pytest.FixtureRequest,
    data_dir: Path,
    session_factory: sessionmaker[Session],
    transports: PartnerTransports,
) -> Iterator[RunningWorker]:
    """A one-thread worker (not started) on the broker at ``request.param``'s URL fixture."""
    url: str = request.getfixturevalue(request.param)
    broker, embedded = build_broker(url, data_dir=data_dir)
    assert embedded is None
    running = start_worker(broker, make_context(session_factory, transports), threads=1)
    yield running
    running.worker.stop()
    broker.close()


def _delivered(outbox: Outbox, ids: list[int]) -> bool:
    return all(outbox.get(i).status is DeliveryStatus.DELIVERED for i in ids)


def _lost_wakes_are_recovered(
    worker: RunningWorker,
    outbox: Outbox,
    partner: InMemoryTransport,
    session_factory: sessionmaker[Session],
) -> None:
    # Given rows on both lanes whose wakes the broker then lost (flushed, purged)
    routine = outbox.deliveries(5)
    urgent = outbox.deliveries(2, priority="urgent")
    assert worker.actors.wake_for([("social", "routine"), ("social", "urgent")]) == 2
    worker.broker.flush_all()

    # Then a running worker has nothing to do
    worker.worker.start()
    worker.worker.join()
    assert partner.delivered == []

    # When one sweeper pass runs (every row counts as stuck with stuck_after_s=0)
    with session_factory() as session:
        woken = wake_stuck_lanes(session, now=utc_now(), stuck_after_s=0, wake=worker.actors.wake)

    # Then it woke the two lanes, and each row was delivered exactly once
    assert woken == 2
    wait_until(lambda: _delivered(outbox, routine + urgent), what="7 deliveries")
    assert sorted(m.delivery_id for m in partner.delivered) == sorted(routine + urgent)
    assert {outbox.get(i).attempts for i in routine + urgent} == {1}


@pytest.mark.parametrize("broker_worker", ["redis_url"], indirect=True)
def test_wakes_a_flushed_redis_lost_are_recovered_by_one_pass(
    broker_worker: RunningWorker,
    real_time_outbox: Outbox,
    partner: InMemoryTransport,
    session_factory: sessionmaker[Session],
) -> None:
    _lost_wakes_are_recovered(broker_worker, real_time_outbox, partner, session_factory)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("broker_worker", ["rabbitmq_url"], indirect=True)
def test_wakes_a_purged_rabbitmq_lost_are_recovered_by_one_pass(
    broker_worker: RunningWorker,
    real_time_outbox: Outbox,
    partner: InMemoryTransport,
    session_factory: sessionmaker[Session],
) -> None:
    _lost_wakes_are_recovered(broker_worker, real_time_outbox, partner, session_factory)
