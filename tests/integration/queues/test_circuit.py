"""The circuit breaker and partner pause against a real HTTP partner on loopback.

Most tests make each attempt with ``deliver_once`` on a real database and a
hand-moved clock; the last ones run a worker on a real Redis of their own with
sweeper passes. The partner is a real HTTP server whose answer (200, 503, 400) the test
switches.
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
from typing import Self

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import PartnerRejected, PartnerUnavailable
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
    EmbeddedRedis,
    Outcome,
    PartnerTransports,
    build_broker,
    deliver_once,
    requeue_stuck_deliveries,
    utc_now,
)
from queues.circuit import CircuitPolicy
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
PARTNER = "web"


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


#: One attempt: ``attempt(delivery_id) -> Outcome | "failed" | "rejected"``.
Attempt = Callable[[int], Outcome | str]


@pytest.fixture
def attempt(
    session_factory: sessionmaker[Session], http_transports: PartnerTransports, clock: Clock
) -> Attempt:
    def run(delivery_id: int) -> Outcome | str:
        try:
            return deliver_once(
                session_factory,
                delivery_id,
                transports=http_transports,
                now=clock,
                lease_s=30,
                will_retry=True,
                max_backoff_ms=300_000,
                circuit=POLICY,
            )
        except PartnerUnavailable:
            return "failed"
        except PartnerRejected:
            return "rejected"

    return run


def _circuit(session_factory: sessionmaker[Session]) -> PartnerCircuit:
    with session_factory() as session:
        circuit = find_circuit(session, PARTNER)
        assert circuit is not None
        return circuit


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


def _sweep(session_factory: sessionmaker[Session], clock: Clock) -> list[int]:
    sent: list[int] = []
    with session_factory.begin() as session:
        requeue_stuck_deliveries(
            session, now=clock(), stuck_after_s=120, enqueue=lambda i, _p: sent.append(i)
        )
    return sent


def _open_the_circuit(
    attempt: Attempt, web_outbox: Outbox, http_partner: SwitchablePartner
) -> list[int]:
    """Three rows fail with 503; returns their ids."""
    http_partner.status = 503
    failing = web_outbox.deliveries(POLICY.failure_threshold, recipient=PARTNER)
    assert [attempt(i) for i in failing] == ["failed"] * POLICY.failure_threshold
    return failing


def test_consecutive_failures_open_the_circuit_and_nothing_is_attempted_while_open(
    attempt: Attempt,
    web_outbox: Outbox,
    http_partner: SwitchablePartner,
    session_factory: sessionmaker[Session],
    clock: Clock,
) -> None:
    # Given a partner answering 503: two failures leave the circuit closed
    http_partner.status = 503
    first, second, third = web_outbox.deliveries(3, recipient=PARTNER)
    assert [attempt(first), attempt(second)] == ["failed", "failed"]
    assert _circuit(session_factory).state == CircuitState.CLOSED

    # When the third fails
    assert attempt(third) == "failed"

    # Then the circuit is open for the cool-down, with the last error
    circuit = _circuit(session_factory)
    assert (circuit.state, circuit.consecutive_failures) == (CircuitState.OPEN, 3)
    assert circuit.probe_at == clock() + timedelta(seconds=30)
    assert circuit.last_failure_at == clock()
    assert "503" in (circuit.last_error or "")

    # And new rows and due retries are parked, not attempted: no request, no attempt logged
    waiting = web_outbox.delivery(recipient=PARTNER)
    clock.advance(10)
    assert attempt(waiting) is Outcome.DEFERRED
    assert attempt(first) is Outcome.DEFERRED
    assert len(http_partner.requests) == 3
    assert _attempts_logged(session_factory) == 3
    parked, retried = web_outbox.get(waiting), web_outbox.get(first)
    assert (parked.status, parked.attempts, parked.enqueued_at) == (
        DeliveryStatus.PENDING,
        0,
        None,
    )
    assert (retried.status, retried.attempts) == (DeliveryStatus.PENDING, 1)

    # And the sweeper leaves them alone while the circuit is open (no loop)
    assert _sweep(session_factory, clock) == []


def test_after_the_cooldown_one_probe_closes_the_circuit_and_waiting_rows_go_once(
    attempt: Attempt,
    web_outbox: Outbox,
    http_partner: SwitchablePartner,
    session_factory: sessionmaker[Session],
    clock: Clock,
) -> None:
    # Given an open circuit and two rows parked behind it
    failing = _open_the_circuit(attempt, web_outbox, http_partner)
    waiting = web_outbox.deliveries(2, recipient=PARTNER)
    assert [attempt(i) for i in waiting] == [Outcome.DEFERRED] * 2

    # When the partner is back and the cool-down is over
    http_partner.status = 200
    clock.advance(31)
    swept = _sweep(session_factory, clock)

    # Then the sweeper sends the parked rows; the first attempt is the probe and closes it
    assert swept == waiting
    assert attempt(waiting[0]) is Outcome.DELIVERED
    circuit = _circuit(session_factory)
    assert (circuit.state, circuit.consecutive_failures, circuit.probe_at) == (
        CircuitState.CLOSED,
        0,
        None,
    )
    assert circuit.last_success_at == clock()

    # And every row, parked or retrying, is delivered exactly once
    for delivery_id in [waiting[1], *failing]:
        assert attempt(delivery_id) is Outcome.DELIVERED
    for delivery_id in [*waiting, *failing]:
        assert attempt(delivery_id) is Outcome.SKIPPED
    assert sorted(http_partner.delivered()) == _message_ids(session_factory, [*waiting, *failing])
    assert {web_outbox.get(i).status for i in [*waiting, *failing]} == {DeliveryStatus.DELIVERED}


def test_a_failed_probe_reopens_the_circuit_for_longer(
    attempt: Attempt,
    web_outbox: Outbox,
    http_partner: SwitchablePartner,
    session_factory: sessionmaker[Session],
    clock: Clock,
) -> None:
    # Given an open circuit whose cool-down is over, the partner still down
    _open_the_circuit(attempt, web_outbox, http_partner)
    probe, behind = web_outbox.deliveries(2, recipient=PARTNER)

    for cooldown_s in (60, 100, 100):  # doubled, then capped at max_cooldown_s
        clock.advance(POLICY.max_cooldown_s + 1)
        # When the probe fails
        assert attempt(probe) == "failed"
        # Then the circuit is open again, for longer, and nothing else goes meanwhile
        circuit = _circuit(session_factory)
        assert circuit.state == CircuitState.OPEN
        assert circuit.probe_at == clock() + timedelta(seconds=cooldown_s)
        assert attempt(behind) is Outcome.DEFERRED

    assert len(http_partner.requests) == POLICY.failure_threshold + 3
    assert web_outbox.get(behind).attempts == 0


def test_a_probe_holds_the_circuit_half_open_until_it_ends(
    attempt: Attempt,
    web_outbox: Outbox,
    http_partner: SwitchablePartner,
    session_factory: sessionmaker[Session],
    clock: Clock,
) -> None:
    # Given a probe on its way to a partner that holds the request
    _open_the_circuit(attempt, web_outbox, http_partner)
    probe, other = web_outbox.deliveries(2, recipient=PARTNER)
    clock.advance(31)
    http_partner.status = 200
    http_partner.hold = threading.Event()
    http_partner.arrived.clear()
    outcomes: list[Outcome | str] = []
    worker = threading.Thread(target=lambda: outcomes.append(attempt(probe)))
    worker.start()
    try:
        assert http_partner.arrived.wait(10)

        # Then the circuit is half-open and another row waits
        assert _circuit(session_factory).state == CircuitState.HALF_OPEN
        assert attempt(other) is Outcome.DEFERRED
        assert _sweep(session_factory, clock) == []
    finally:
        http_partner.hold.set()
        worker.join()
    assert outcomes == [Outcome.DELIVERED]
    assert _circuit(session_factory).state == CircuitState.CLOSED
    assert _sweep(session_factory, clock) == [other]


def test_refusals_do_not_open_the_circuit(
    attempt: Attempt,
    web_outbox: Outbox,
    http_partner: SwitchablePartner,
    session_factory: sessionmaker[Session],
) -> None:
    # Given two failures, then a partner refusing every message (it answers: it is up)
    http_partner.status = 503
    down = web_outbox.deliveries(2, recipient=PARTNER)
    assert [attempt(i) for i in down] == ["failed", "failed"]
    http_partner.status = 400
    refused = web_outbox.deliveries(POLICY.failure_threshold + 2, recipient=PARTNER)

    # When each is attempted
    outcomes = [attempt(i) for i in refused]

    # Then each is refused (dead), and the circuit stays closed with no failures counted
    assert outcomes == ["rejected"] * len(refused)
    circuit = _circuit(session_factory)
    assert (circuit.state, circuit.consecutive_failures) == (CircuitState.CLOSED, 0)
    assert {web_outbox.get(i).status for i in refused} == {DeliveryStatus.DEAD}


def test_two_workers_at_the_end_of_the_cooldown_send_one_probe(
    session_factory: sessionmaker[Session],
    http_transports: PartnerTransports,
    web_outbox: Outbox,
    http_partner: SwitchablePartner,
    attempt: Attempt,
    clock: Clock,
) -> None:
    # Given an open circuit whose cool-down is over, and two rows, one per worker
    _open_the_circuit(attempt, web_outbox, http_partner)
    rows = web_outbox.deliveries(2, recipient=PARTNER)
    clock.advance(31)
    http_partner.status = 200
    http_partner.hold = threading.Event()
    http_partner.arrived.clear()
    requests_before = len(http_partner.requests)
    start = threading.Barrier(2)
    outcomes: dict[int, Outcome | str] = {}

    def worker(delivery_id: int) -> None:
        start.wait(5)
        outcomes[delivery_id] = attempt(delivery_id)
        if outcomes[delivery_id] is Outcome.DEFERRED:
            assert http_partner.hold is not None
            http_partner.hold.set()  # the loser is done: let the probe answer

    # When both workers try at the same moment
    threads = [threading.Thread(target=worker, args=(i,)) for i in rows]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    # Then exactly one reached the partner, as the probe, and the other waits parked
    assert sorted(outcomes.values()) == sorted([Outcome.DELIVERED, Outcome.DEFERRED])
    assert len(http_partner.requests) == requests_before + 1
    assert _circuit(session_factory).state == CircuitState.CLOSED
    assert _attempts_logged(session_factory) == POLICY.failure_threshold + 1


# --- with a real Redis broker, a worker and sweeper passes ------------------------------

#: How often the tests below run a sweeper pass while they wait, in seconds.
SWEEP_EVERY_S = 0.25
#: The sweeper's patience in the tests below: re-send what Redis lost after a second.
STUCK_AFTER_S = 1.0
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
    """A one-thread worker on a real Redis; retries every few ms, 20 of them."""
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
        # Not on every poll: on SQLite each pass takes the write lock the worker needs.
        if time.monotonic() - last_sweep[0] >= SWEEP_EVERY_S:
            last_sweep[0] = time.monotonic()
            with session_factory.begin() as session:
                requeue_stuck_deliveries(
                    session,
                    now=running.actors.context.clock(),
                    stuck_after_s=STUCK_AFTER_S,
                    enqueue=running.actors.enqueue,
                )
        return check()

    wait_until(swept_check, timeout_s=20, what=what)


def _statuses(session_factory: sessionmaker[Session], ids: list[int]) -> set[tuple[str, bool]]:
    """Each row's (status, whether a broker message holds it)."""
    with session_factory() as session:
        rows = session.execute(select(OutboxDelivery).where(OutboxDelivery.id.in_(ids))).scalars()
        return {(r.status.value, r.enqueued_at is not None) for r in rows}


def _parked(session_factory: sessionmaker[Session], ids: list[int]) -> Callable[[], bool]:
    return lambda: _statuses(session_factory, ids) == {("pending", False)}


def _delivered(session_factory: sessionmaker[Session], ids: list[int]) -> Callable[[], bool]:
    return lambda: {s for s, _ in _statuses(session_factory, ids)} == {"delivered"}


def test_a_worker_stops_calling_a_failing_partner_and_delivers_once_it_is_back(
    redis_worker: RunningWorker,
    session_factory: sessionmaker[Session],
    real_time_outbox: Outbox,
    http_partner: SwitchablePartner,
    worker_clock: SkewedClock,
) -> None:
    # Given a partner answering 503 and five messages for it
    real_time_outbox.partner(PARTNER, adapter=HTTP_ADAPTER.code, endpoint=http_partner.url)
    http_partner.status = 503
    ids = real_time_outbox.deliveries(5, recipient=PARTNER, enqueued_at=utc_now())
    redis_worker.actors.enqueue_many((i, "routine") for i in ids)

    # When the worker has seen them all (and the failed ones' retries)
    _sweeping_until(_parked(session_factory, ids), session_factory, redis_worker, what="parked")

    # Then the partner was called three times only: the circuit opened, no retry was spent
    assert len(http_partner.requests) == WORKER_POLICY.failure_threshold
    assert _attempts_logged(session_factory) == WORKER_POLICY.failure_threshold
    assert _circuit(session_factory).state == CircuitState.OPEN

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
    # Given a paused partner and three messages for it
    real_time_outbox.partner(PARTNER, adapter=HTTP_ADAPTER.code, endpoint=http_partner.url)
    admin = Actor(login="admin", role="administrator")
    with session_factory.begin() as session:
        pause_partner(session, PARTNER, actor=admin, reason="maintenance", now=utc_now())
    ids = real_time_outbox.deliveries(3, recipient=PARTNER, enqueued_at=utc_now())
    redis_worker.actors.enqueue_many((i, "routine") for i in ids)

    # When the worker has seen them
    _sweeping_until(_parked(session_factory, ids), session_factory, redis_worker, what="parked")

    # Then none was attempted, and the sweeper does not send them round in a loop
    assert http_partner.requests == []
    assert {real_time_outbox.get(i).attempts for i in ids} == {0}
    with session_factory.begin() as session:
        resent = requeue_stuck_deliveries(
            session, now=utc_now(), stuck_after_s=0, enqueue=redis_worker.actors.enqueue
        )
    assert resent == 0

    # When it is resumed, the sweeper sends them and each arrives once
    with session_factory.begin() as session:
        resume_partner(session, PARTNER, actor=admin, reason="done", now=utc_now())
    _sweeping_until(
        _delivered(session_factory, ids), session_factory, redis_worker, what="delivered"
    )
    assert sorted(http_partner.delivered()) == _message_ids(session_factory, ids)
    assert {real_time_outbox.get(i).attempts for i in ids} == {1}


def test_opening_and_closing_each_log_one_line_and_count_a_transition(
    attempt: Attempt,
    web_outbox: Outbox,
    http_partner: SwitchablePartner,
    session_factory: sessionmaker[Session],
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a circuit that opens, fails its first probe, then closes on the second
    caplog.set_level(logging.INFO, logger="queues.circuit")
    _open_the_circuit(attempt, web_outbox, http_partner)
    clock.advance(31)
    assert attempt(web_outbox.delivery(recipient=PARTNER)) == "failed"  # re-opens: not counted
    http_partner.status = 200
    clock.advance(61)
    assert attempt(web_outbox.delivery(recipient=PARTNER)) is Outcome.DELIVERED
    assert attempt(web_outbox.delivery(recipient=PARTNER)) is Outcome.DELIVERED

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
