"""The circuit breaker and partner pause, in front of batches, against a real HTTP partner.

The gate is checked once per batch (``deliver_batch``): a paused partner or an open
circuit gets nothing claimed and no attempt spent; a circuit whose cool-down is over
lets one row through as its probe. A failing call ends its batch and counts once
toward opening the circuit, however many rows the batch held; an answer, delivered or
refused, closes it. The sweeper (``wake_stuck_lanes``) leaves a waiting partner's
lanes alone and wakes them once it is resumed or its cool-down is over.

Most tests run batches on a real database and a hand-moved clock; the last ones run a
worker on a real Redis of their own with sweeper passes. The partner is a real HTTP
server whose answer (200, 503, 400) the test switches.
"""

import http.server
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

import pytest
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.observability import HubCollector, build_registry, render
from hub.operations import Actor, pause_partner, resume_partner
from hub.store import (
    CircuitState,
    DeliveryAttempt,
    DeliveryStatus,
    MessageLog,
    OutboxDelivery,
    PartnerCircuit,
    find_circuit,
)
from queues import (
    LANES,
    ROUTINE,
    URGENT,
    BatchReport,
    EmbeddedRedis,
    PartnerTransports,
    RetryPolicy,
    build_broker,
    deliver_batch,
    utc_now,
    wake_stuck_lanes,
)
from queues.circuit import CircuitPolicy, Gate
from tests.integration.queues.http_partner import HTTP_ADAPTER
from tests.integration.queues.queue_helpers import (
    Clock,
    Outbox,
    RunningWorker,
    make_context,
    start_worker,
    wait_until,
)

#: Three failures open the circuit for 30 s, then 60 s, 120 s, capped at 100 s.
POLICY = CircuitPolicy(failure_threshold=3, cooldown_s=30, max_cooldown_s=100)
#: Retries of at most 5 s, so a row outlives every failure below.
RETRY = RetryPolicy(max_attempts=10, min_backoff_ms=1000, max_backoff_ms=5000)
#: Longer than any retry's backoff: after it every row a failure left waiting is due.
PAST_BACKOFF_S = 6
#: The sweeper's patience with a pending row nobody woke, in the hand-clock tests.
STUCK_AFTER_S = 120
PARTNER = "web"
ADMIN = Actor(login="admin", role="administrator")


class SwitchablePartner:
    """A real HTTP partner answering ``status`` (settable); records each request's MessageId.

    With ``hold`` set, each request waits for it to be released before answering.
    """

    def __init__(self) -> None:
        self.status = 200
        self.requests: list[tuple[str, int]] = []
        self.arrived = threading.Event()
        self.hold: threading.Event | None = None
        self._lock = threading.Lock()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="partner")

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/messages"

    def delivered(self) -> list[str]:
        """MessageIds the partner accepted (answered 2xx), in order."""
        return [message_id for message_id, status in self.requests if status < 300]

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.hold is not None:
            self.hold.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        partner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                partner.arrived.set()
                if partner.hold is not None:
                    partner.hold.wait(30)
                with partner._lock:
                    status = partner.status
                    partner.requests.append((self.headers["X-Message-Id"], status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the test asserts on ``requests``."""

        return Handler


@pytest.fixture
def http_partner() -> Iterator[SwitchablePartner]:
    with SwitchablePartner() as server:
        yield server


@pytest.fixture
def web_outbox(outbox: Outbox, http_partner: SwitchablePartner) -> Outbox:
    outbox.partner(PARTNER, adapter=HTTP_ADAPTER.code, endpoint=http_partner.url)
    return outbox


@pytest.fixture
def http_transports(session_factory: sessionmaker[Session]) -> Iterator[PartnerTransports]:
    resolver = PartnerTransports(session_factory, {HTTP_ADAPTER.code: HTTP_ADAPTER}, timeout_s=5)
    yield resolver
    resolver.close()


class Batch(Protocol):
    """One worker's batch of the partner's ``lane`` at the hand clock's time."""

    def __call__(self, lane: str = ROUTINE) -> BatchReport: ...


@pytest.fixture
def batch(
    session_factory: sessionmaker[Session], http_transports: PartnerTransports, clock: Clock
) -> Batch:
    def run(lane: str = ROUTINE) -> BatchReport:
        return deliver_batch(
            session_factory,
            PARTNER,
            lane,
            transports=http_transports,
            now=clock,
            lease_s=30,
            batch_size=20,
            retry=RETRY,
            circuit=POLICY,
        )

    return run


def _circuit(session_factory: sessionmaker[Session]) -> PartnerCircuit:
    with session_factory() as session:
        circuit = find_circuit(session, PARTNER)
        assert circuit is not None
        return circuit


def _is_open(session_factory: sessionmaker[Session]) -> bool:
    """Whether the partner's circuit is open (it has no circuit row before its first failure)."""
    with session_factory() as session:
        circuit = find_circuit(session, PARTNER)
        return circuit is not None and circuit.state == CircuitState.OPEN


def _attempts_logged(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        return session.execute(select(func.count()).select_from(DeliveryAttempt)).scalar_one()


def _message_ids(session_factory: sessionmaker[Session], ids: list[int]) -> list[str]:
    with session_factory() as session:
        return sorted(
            session.execute(
                select(MessageLog.message_id)
                .join(OutboxDelivery, OutboxDelivery.message_log_id == MessageLog.id)
                .where(OutboxDelivery.id.in_(ids))
            ).scalars()
        )


def _states(outbox: Outbox, ids: list[int]) -> list[tuple[DeliveryStatus, int]]:
    """Each row's (status, attempts), in the order of ``ids``."""
    return [(row.status, row.attempts) for row in map(outbox.get, ids)]


def _sweep(session_factory: sessionmaker[Session], now: datetime) -> list[tuple[str, str]]:
    """One sweeper pass at ``now``; the (partner, lane) pairs it woke, in order."""
    woken: list[tuple[str, str]] = []
    with session_factory() as session:
        wake_stuck_lanes(
            session,
            now=now,
            stuck_after_s=STUCK_AFTER_S,
            wake=lambda recipient, lane: woken.append((recipient, lane)),
        )
    return woken


def _open_the_circuit(
    batch: Batch, web_outbox: Outbox, http_partner: SwitchablePartner, clock: Clock
) -> list[int]:
    """Four rows; three batches fail on the oldest (503) and open the circuit. Their ids."""
    http_partner.status = 503
    rows = web_outbox.deliveries(4, recipient=PARTNER)
    for number in range(POLICY.failure_threshold):
        if number:
            clock.advance(PAST_BACKOFF_S)
        report = batch()
        assert (report.claimed, report.count("retry"), report.released) == (4, 1, 3)
    assert _circuit(web_outbox.session_factory).state == CircuitState.OPEN
    return rows


def test_a_failing_batch_counts_once_and_the_third_opens_the_circuit_which_claims_nothing(
    batch: Batch,
    web_outbox: Outbox,
    http_partner: SwitchablePartner,
    session_factory: sessionmaker[Session],
    clock: Clock,
) -> None:
    # Given a partner answering 503 and four rows for it
    http_partner.status = 503
    rows = web_outbox.deliveries(4, recipient=PARTNER)

    # When a batch takes them: the first call fails
    report = batch()

    # Then the batch ends there: one request, one failure counted, the rest given back
    # unattempted and due at once, for the next wake
    assert (report.gate, report.claimed, report.failed) == (Gate.GO, 4, True)
    assert (report.count("retry"), report.released, report.more_due) == (1, 3, True)
    assert len(http_partner.requests) == 1
    circuit = _circuit(session_factory)
    assert (circuit.state, circuit.consecutive_failures) == (CircuitState.CLOSED, 1)
    assert _states(web_outbox, rows[1:]) == [(DeliveryStatus.PENDING, 0)] * 3
    assert {web_outbox.get(i).next_attempt_at for i in rows[1:]} == {clock()}

    # When the next two wakes come at once, each tries the next row and fails the same way
    for _ in range(2):
        assert batch().count("retry") == 1

    # Then the circuit is open for the cool-down, with the last error
    circuit = _circuit(session_factory)
    assert (circuit.state, circuit.consecutive_failures) == (CircuitState.OPEN, 3)
    assert circuit.probe_at == clock() + timedelta(seconds=30)
    assert circuit.last_failure_at == clock()
    assert "503" in (circuit.last_error or "")

    # And a batch while it is open claims nothing, even with every row due: no request,
    # no attempt spent or logged
    clock.advance(10)
    for lane in LANES:
        waiting = batch(lane)
        assert (waiting.gate, waiting.claimed, waiting.next_due) == (Gate.OPEN, 0, None)
    assert len(http_partner.requests) == 3
    assert _attempts_logged(session_factory) == 3
    assert _states(web_outbox, rows) == [
        *[(DeliveryStatus.RETRYING, 1)] * 3,
        (DeliveryStatus.PENDING, 0),
    ]

    # And the sweeper leaves the lane alone while the circuit is open (no loop)
    assert _sweep(session_factory, clock()) == []


def test_after_the_cooldown_the_probe_takes_one_row_and_closes_the_circuit_then_the_rest_go(
    batch: Batch,
    web_outbox: Outbox,
    http_partner: SwitchablePartner,
    session_factory: sessionmaker[Session],
    clock: Clock,
) -> None:
    # Given an open circuit, four rows waiting behind it
    rows = _open_the_circuit(batch, web_outbox, http_partner, clock)

    # When the partner is back and the cool-down is over
    http_partner.status = 200
    clock.advance(31)

    # Then the sweeper wakes the lane, and its batch is the probe: one row, the oldest
    assert _sweep(session_factory, clock()) == [(PARTNER, ROUTINE)]
    probe = batch()
    assert (probe.gate, probe.limit, probe.claimed) == (Gate.PROBE, 1, 1)
    assert [(o.delivery_id, o.outcome) for o in probe.outcomes] == [(rows[0], "delivered")]
    # And its success closes the circuit
    circuit = _circuit(session_factory)
    assert (circuit.state, circuit.consecutive_failures, circuit.probe_at) == (
        CircuitState.CLOSED,
        0,
        None,
    )
    assert circuit.last_success_at == clock()

    # And a full batch of one means more may be due: the next wake delivers the rest
    assert probe.more_due
    rest = batch()
    assert (rest.gate, rest.claimed, rest.count("delivered")) == (Gate.GO, 3, 3)
    assert (rest.more_due, batch().claimed) == (False, 0)

    # And every row reached the partner once, the retried one and those that waited
    assert sorted(http_partner.delivered()) == _message_ids(session_factory, rows)
    assert _states(web_outbox, rows) == [
        (DeliveryStatus.DELIVERED, 4),
        *[(DeliveryStatus.DELIVERED, 1)] * 3,
    ]
    assert _sweep(session_factory, clock()) == []


def test_a_failed_probe_reopens_the_circuit_for_longer(
    batch: Batch,
    web_outbox: Outbox,
    http_partner: SwitchablePartner,
    session_factory: sessionmaker[Session],
    clock: Clock,
) -> None:
    # Given an open circuit, the partner still down
    first, *behind = _open_the_circuit(batch, web_outbox, http_partner, clock)

    for cooldown_s in (60, 100, 100):  # doubled, then capped at max_cooldown_s
        clock.advance(POLICY.max_cooldown_s + 1)
        # When the probe fails
        probe = batch()
        assert (probe.gate, probe.claimed, probe.count("retry")) == (Gate.PROBE, 1, 1)
        # Then the circuit is open again, for longer, and nothing else goes meanwhile
        circuit = _circuit(session_factory)
        assert circuit.state == CircuitState.OPEN
        assert circuit.probe_at == clock() + timedelta(seconds=cooldown_s)
        assert batch().gate is Gate.OPEN
        assert _sweep(session_factory, clock()) == []

    # And only the oldest row was ever tried: once per failing batch, once per probe
    assert len(http_partner.requests) == POLICY.failure_threshold + 3
    assert _states(web_outbox, [first, *behind]) == [
        (DeliveryStatus.RETRYING, POLICY.failure_threshold + 3),
        *[(DeliveryStatus.PENDING, 0)] * 3,
    ]


def test_a_probe_holds_the_circuit_half_open_until_it_ends(
    batch: Batch,
    web_outbox: Outbox,
    http_partner: SwitchablePartner,
    session_factory: sessionmaker[Session],
    clock: Clock,
) -> None:
    # Given a probe on its way to a partner that holds the request
    _open_the_circuit(batch, web_outbox, http_partner, clock)
    clock.advance(31)
    http_partner.status = 200
    http_partner.hold = threading.Event()
    http_partner.arrived.clear()
    reports: list[BatchReport] = []
    worker = threading.Thread(target=lambda: reports.append(batch()))
    worker.start()
    try:
        assert http_partner.arrived.wait(10)

        # Then the circuit is half-open: another wake's batch claims nothing, and the
        # sweeper wakes nobody
        assert _circuit(session_factory).state == CircuitState.HALF_OPEN
        other = batch()
        assert (other.gate, other.claimed) == (Gate.OPEN, 0)
        assert _sweep(session_factory, clock()) == []
    finally:
        http_partner.hold.set()
        worker.join()

    # And once the probe is through, the circuit is closed and the rows behind it are
    # woken (by the probe's own full batch, or by the sweeper should that wake be lost)
    [probe] = reports
    assert (probe.gate, probe.count("delivered"), probe.more_due) == (Gate.PROBE, 1, True)
    assert _circuit(session_factory).state == CircuitState.CLOSED
    assert _sweep(session_factory, clock()) == [(PARTNER, ROUTINE)]


def test_a_wake_of_a_lane_with_nothing_due_does_not_use_up_the_probe(
    batch: Batch,
    web_outbox: Outbox,
    http_partner: SwitchablePartner,
    session_factory: sessionmaker[Session],
    clock: Clock,
) -> None:
    # Given an open circuit whose cool-down is over, with routine rows only
    _open_the_circuit(batch, web_outbox, http_partner, clock)
    probe_at = _circuit(session_factory).probe_at
    clock.advance(31)
    http_partner.status = 200

    # When the urgent lane is woken first: its probe finds no row
    urgent = batch(URGENT)

    # Then nothing is claimed and the circuit still waits for its probe
    assert (urgent.gate, urgent.claimed) == (Gate.PROBE, 0)
    circuit = _circuit(session_factory)
    assert (circuit.state, circuit.probe_at) == (CircuitState.OPEN, probe_at)

    # And the routine lane's batch is the probe, and closes the circuit
    routine = batch()
    assert (routine.gate, routine.claimed, routine.count("delivered")) == (Gate.PROBE, 1, 1)
    assert _circuit(session_factory).state == CircuitState.CLOSED


def test_refusals_do_not_end_a_batch_nor_open_the_circuit_and_they_clear_its_failures(
    batch: Batch,
    web_outbox: Outbox,
    http_partner: SwitchablePartner,
    session_factory: sessionmaker[Session],
    clock: Clock,
) -> None:
    # Given two failed batches, then a partner refusing every message (it answers: it is up)
    http_partner.status = 503
    down = web_outbox.deliveries(2, recipient=PARTNER)
    batch()
    clock.advance(PAST_BACKOFF_S)
    batch()
    assert _circuit(session_factory).consecutive_failures == 2
    http_partner.status = 400
    refused = web_outbox.deliveries(POLICY.failure_threshold + 2, recipient=PARTNER)
    clock.advance(PAST_BACKOFF_S)

    # When a batch takes them all
    report = batch()

    # Then each is refused (dead) in the one batch, and the circuit is closed with no
    # failures counted
    rows = [*down, *refused]
    assert (report.claimed, report.count("rejected"), report.failed) == (
        len(rows),
        len(rows),
        False,
    )
    assert len(http_partner.requests) == 2 + len(rows)
    circuit = _circuit(session_factory)
    assert (circuit.state, circuit.consecutive_failures) == (CircuitState.CLOSED, 0)
    assert {web_outbox.get(i).status for i in rows} == {DeliveryStatus.DEAD}


def test_a_refused_probe_closes_the_circuit(
    batch: Batch,
    web_outbox: Outbox,
    http_partner: SwitchablePartner,
    session_factory: sessionmaker[Session],
    clock: Clock,
) -> None:
    # Given an open circuit whose cool-down is over, and a partner now refusing
    first, *_ = _open_the_circuit(batch, web_outbox, http_partner, clock)
    clock.advance(31)
    http_partner.status = 400

    # When the probe is refused
    probe = batch()

    # Then the partner answered: the circuit closes, and the refused row is dead
    assert [(o.delivery_id, o.outcome) for o in probe.outcomes] == [(first, "rejected")]
    circuit = _circuit(session_factory)
    assert (circuit.state, circuit.consecutive_failures, circuit.probe_at) == (
        CircuitState.CLOSED,
        0,
        None,
    )
    assert circuit.closed_total == 1
    assert web_outbox.get(first).status is DeliveryStatus.DEAD


def test_two_workers_at_the_end_of_the_cooldown_send_one_probe(
    batch: Batch,
    web_outbox: Outbox,
    http_partner: SwitchablePartner,
    session_factory: sessionmaker[Session],
    clock: Clock,
) -> None:
    # Given an open circuit whose cool-down is over, and two workers woken for its lane
    _open_the_circuit(batch, web_outbox, http_partner, clock)
    clock.advance(31)
    http_partner.status = 200
    http_partner.hold = threading.Event()
    http_partner.arrived.clear()
    requests_before = len(http_partner.requests)
    start = threading.Barrier(2)
    reports: list[BatchReport] = []

    def worker() -> None:
        start.wait(5)
        report = batch()
        reports.append(report)
        if report.claimed == 0:
            assert http_partner.hold is not None
            http_partner.hold.set()  # the loser is done: let the probe answer

    # When both run their batch at the same moment
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    # Then exactly one reached the partner, as the probe with one row; the other found
    # the circuit half-open and claimed nothing
    assert sorted((r.gate, r.claimed, r.count("delivered")) for r in reports) == [
        (Gate.OPEN, 0, 0),
        (Gate.PROBE, 1, 1),
    ]
    assert len(http_partner.requests) == requests_before + 1
    assert _circuit(session_factory).state == CircuitState.CLOSED
    assert _attempts_logged(session_factory) == POLICY.failure_threshold + 1


def test_a_paused_partner_has_nothing_claimed_and_its_lanes_wait_unwoken_until_resumed(
    batch: Batch,
    web_outbox: Outbox,
    http_partner: SwitchablePartner,
    session_factory: sessionmaker[Session],
    clock: Clock,
) -> None:
    # Given a paused partner with rows in both lanes, a retry among them, all long due
    routine = web_outbox.deliveries(2, recipient=PARTNER)
    retry = web_outbox.delivery(
        recipient=PARTNER, status=DeliveryStatus.RETRYING, attempts=1, next_attempt_at=clock()
    )
    urgent = web_outbox.delivery(recipient=PARTNER, priority=URGENT)
    rows = [*routine, retry, urgent]
    with session_factory.begin() as session:
        pause_partner(session, PARTNER, actor=ADMIN, reason="maintenance", now=clock())
    clock.advance(STUCK_AFTER_S + 1)
    before = _states(web_outbox, rows)

    # When each lane is woken
    reports = [batch(lane) for lane in LANES]

    # Then nothing is claimed: no request, no attempt spent or logged
    assert [(r.gate, r.claimed) for r in reports] == [(Gate.PAUSED, 0)] * len(LANES)
    assert http_partner.requests == []
    assert _states(web_outbox, rows) == before
    assert _attempts_logged(session_factory) == 0
    # And the sweeper does not wake the lanes in a loop
    assert _sweep(session_factory, clock()) == []

    # When the partner is resumed, the sweeper wakes both lanes, urgent first
    with session_factory.begin() as session:
        resume_partner(session, PARTNER, actor=ADMIN, reason="done", now=clock())
    assert _sweep(session_factory, clock()) == [(PARTNER, URGENT), (PARTNER, ROUTINE)]

    # And their batches deliver every row once
    assert [batch(URGENT).count("delivered"), batch().count("delivered")] == [1, 3]
    assert sorted(http_partner.delivered()) == _message_ids(session_factory, rows)
    assert [attempts for _, attempts in _states(web_outbox, rows)] == [1, 1, 2, 1]


def test_opening_and_closing_each_log_one_line_and_count_a_transition(
    batch: Batch,
    web_outbox: Outbox,
    http_partner: SwitchablePartner,
    session_factory: sessionmaker[Session],
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a circuit that opens, fails its first probe, then closes on the second
    caplog.set_level(logging.INFO, logger="queues.circuit")
    _open_the_circuit(batch, web_outbox, http_partner, clock)
    clock.advance(31)
    assert batch().count("retry") == 1  # the probe fails and re-opens it: not counted
    http_partner.status = 200
    clock.advance(61)
    assert batch().count("delivered") == 1
    assert batch().count("delivered") == 3

    # Then one line for the opening and one for the closing, with partner and state
    lines = [(r.getMessage(), r.__dict__["state"], r.levelname) for r in caplog.records]
    assert lines == [
        (f"circuit open: {PARTNER}", "open", "WARNING"),
        (f"circuit closed: {PARTNER}", "closed", "INFO"),
    ]

    # And /metrics counts one transition each way
    collector = HubCollector(session_factory, broker=None, clock=clock, worker_stale_s=30)
    scraped = render(build_registry(collector)).decode()
    assert f'hub_circuit_transitions_total{{partner="{PARTNER}",state="open"}} 1.0' in scraped
    assert f'hub_circuit_transitions_total{{partner="{PARTNER}",state="closed"}} 1.0' in scraped


# --- with a real Redis broker, a worker and sweeper passes ------------------------------

#: How often the tests below run a sweeper pass while they wait, in seconds.
SWEEP_EVERY_S = 0.25
#: The sweeper's patience in the tests below: wake a lane whose wake Redis lost after a second.
WORKER_STUCK_AFTER_S = 1.0
#: Three failures open the circuit for 30 s of the worker's clock.
WORKER_POLICY = CircuitPolicy(failure_threshold=3, cooldown_s=30, max_cooldown_s=60)


@dataclass
class SkewedClock:
    """The wall clock plus an offset the test moves forward: cool-downs pass at once."""

    offset: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        return utc_now() + self.offset


@pytest.fixture
def worker_clock() -> SkewedClock:
    return SkewedClock()


@pytest.fixture
def own_redis(data_dir: Path) -> Iterator[str]:
    """A Redis server of this test's own: no other test run can flush it mid-test."""
    with EmbeddedRedis(data_dir) as server:
        yield server.url


@pytest.fixture
def redis_worker(
    own_redis: str,
    data_dir: Path,
    session_factory: sessionmaker[Session],
    http_transports: PartnerTransports,
    worker_clock: SkewedClock,
) -> Iterator[RunningWorker]:
    """A one-thread worker on a real Redis; 21 attempts a row, retried every few ms."""
    context = replace(
        make_context(session_factory, http_transports, max_retries=20),
        circuit=WORKER_POLICY,
        clock=worker_clock,
    )
    broker, embedded = build_broker(own_redis, data_dir=data_dir)
    assert embedded is None
    running = start_worker(broker, context, threads=1)
    running.worker.start()
    yield running
    running.worker.stop()
    broker.close()


def _wakes_handled(running: RunningWorker) -> None:
    """Wait until the worker has handled every wake sent, delayed ones included."""
    assert isinstance(running.broker, RedisBroker)
    for lane in LANES:
        running.broker.join(lane, timeout=20_000)


def _worker_sweep(running: RunningWorker, session_factory: sessionmaker[Session]) -> int:
    """One sweeper pass at the worker's time, waking the worker's lanes; how many it woke."""
    with session_factory() as session:
        return wake_stuck_lanes(
            session,
            now=running.actors.context.clock(),
            stuck_after_s=WORKER_STUCK_AFTER_S,
            wake=running.actors.wake,
        )


def _sweeping_until(
    check: Callable[[], bool],
    session_factory: sessionmaker[Session],
    running: RunningWorker,
    *,
    what: str,
) -> None:
    """Poll ``check``, running a sweeper pass every ``SWEEP_EVERY_S``, until it holds."""
    last_sweep = [0.0]

    def swept_check() -> bool:
        # Not on every poll: on SQLite each pass reads what the worker is writing.
        if time.monotonic() - last_sweep[0] >= SWEEP_EVERY_S:
            last_sweep[0] = time.monotonic()
            _worker_sweep(running, session_factory)
        return check()

    wait_until(swept_check, timeout_s=20, what=what)


def _delivered(session_factory: sessionmaker[Session], ids: list[int]) -> Callable[[], bool]:
    def check() -> bool:
        with session_factory() as session:
            statuses = session.execute(
                select(OutboxDelivery.status).where(OutboxDelivery.id.in_(ids))
            ).scalars()
            return set(statuses) == {DeliveryStatus.DELIVERED}

    return check


def test_a_worker_stops_calling_a_failing_partner_and_delivers_once_it_is_back(
    redis_worker: RunningWorker,
    session_factory: sessionmaker[Session],
    real_time_outbox: Outbox,
    http_partner: SwitchablePartner,
    worker_clock: SkewedClock,
) -> None:
    # Given a partner answering 503 and five messages for it, their lane woken
    real_time_outbox.partner(PARTNER, adapter=HTTP_ADAPTER.code, endpoint=http_partner.url)
    http_partner.status = 503
    ids = real_time_outbox.deliveries(5, recipient=PARTNER)
    assert redis_worker.actors.wake_for((PARTNER, ROUTINE) for _ in ids) == 1

    # When the worker has retried until the circuit opened, and handled every wake since
    wait_until(lambda: _is_open(session_factory), timeout_s=20, what="the circuit open")
    _wakes_handled(redis_worker)

    # Then the partner was called three times, one batch each, always with the oldest
    # row; the others were never tried; and neither the worker nor the sweeper wakes
    # the lane again while the circuit is open
    assert len(http_partner.requests) == WORKER_POLICY.failure_threshold
    assert _attempts_logged(session_factory) == WORKER_POLICY.failure_threshold
    assert _states(real_time_outbox, ids) == [
        (DeliveryStatus.RETRYING, WORKER_POLICY.failure_threshold),
        *[(DeliveryStatus.PENDING, 0)] * 4,
    ]
    assert _worker_sweep(redis_worker, session_factory) == 0

    # When the partner is back and the cool-down has passed
    http_partner.status = 200
    worker_clock.offset = timedelta(seconds=WORKER_POLICY.cooldown_s + 1)
    _sweeping_until(
        _delivered(session_factory, ids), session_factory, redis_worker, what="delivered"
    )

    # Then each message reached it once, and the circuit is closed
    assert sorted(http_partner.delivered()) == _message_ids(session_factory, ids)
    assert _attempts_logged(session_factory) == WORKER_POLICY.failure_threshold + len(ids)
    assert _circuit(session_factory).state == CircuitState.CLOSED


def test_a_paused_partner_gets_nothing_until_resumed(
    redis_worker: RunningWorker,
    session_factory: sessionmaker[Session],
    real_time_outbox: Outbox,
    http_partner: SwitchablePartner,
) -> None:
    # Given a paused partner and three messages for it, their lane woken
    real_time_outbox.partner(PARTNER, adapter=HTTP_ADAPTER.code, endpoint=http_partner.url)
    with session_factory.begin() as session:
        pause_partner(session, PARTNER, actor=ADMIN, reason="maintenance", now=utc_now())
    ids = real_time_outbox.deliveries(3, recipient=PARTNER)
    redis_worker.actors.wake_for((PARTNER, ROUTINE) for _ in ids)

    # When the worker has handled the wake
    _wakes_handled(redis_worker)

    # Then none was attempted, and the sweeper does not wake the lane in a loop
    assert http_partner.requests == []
    assert _states(real_time_outbox, ids) == [(DeliveryStatus.PENDING, 0)] * 3
    with session_factory() as session:
        woken = wake_stuck_lanes(
            session, now=utc_now(), stuck_after_s=0, wake=redis_worker.actors.wake
        )
    assert woken == 0

    # When it is resumed, the sweeper wakes the lane and each arrives once
    with session_factory.begin() as session:
        resume_partner(session, PARTNER, actor=ADMIN, reason="done", now=utc_now())
    _sweeping_until(
        _delivered(session_factory, ids), session_factory, redis_worker, what="delivered"
    )
    assert sorted(http_partner.delivered()) == _message_ids(session_factory, ids)
    assert {real_time_outbox.get(i).attempts for i in ids} == {1}
