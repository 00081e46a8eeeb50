"""The circuit breaker's state changes and cool-down maths, on an unsaved row (no database)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hub.config import Settings
from hub.store import CircuitState, PartnerCircuit
from queues import DeliveryContext, PartnerTransports
from queues.circuit import (
    DEFAULT_CIRCUIT_POLICY,
    CircuitPolicy,
    record_answer,
    record_failure,
    record_success,
    start_probe,
)

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
POLICY = CircuitPolicy(failure_threshold=3, cooldown_s=10, max_cooldown_s=45)


def _closed() -> PartnerCircuit:
    return PartnerCircuit(
        partner_code="social",
        state=CircuitState.CLOSED,
        consecutive_failures=0,
        opened_total=0,
        closed_total=0,
    )


@pytest.mark.parametrize(
    ("failures", "seconds"), [(0, 10), (3, 10), (4, 20), (5, 40), (6, 45), (500, 45)]
)
def test_the_cooldown_doubles_after_each_failed_probe_up_to_the_cap(
    failures: int, seconds: float
) -> None:
    assert POLICY.cooldown(failures) == timedelta(seconds=seconds)


def test_the_defaults_match_the_settings() -> None:
    settings = Settings()
    assert (
        CircuitPolicy(
            failure_threshold=settings.circuit_failure_threshold,
            cooldown_s=settings.circuit_cooldown_s,
            max_cooldown_s=settings.circuit_max_cooldown_s,
        )
        == DEFAULT_CIRCUIT_POLICY
    )


def test_the_threshold_th_failure_opens_the_circuit() -> None:
    circuit = _closed()
    for _ in range(2):
        record_failure(circuit, now=NOW, error="PartnerUnavailable: HTTP 503", policy=POLICY)
    assert (circuit.state, circuit.consecutive_failures) == (CircuitState.CLOSED, 2)

    record_failure(circuit, now=NOW, error="PartnerUnavailable: HTTP 503", policy=POLICY)

    assert circuit.state == CircuitState.OPEN
    assert (circuit.opened_at, circuit.probe_at) == (NOW, NOW + timedelta(seconds=10))
    assert (circuit.last_failure_at, circuit.last_error) == (NOW, "PartnerUnavailable: HTTP 503")


def test_a_late_failure_while_open_only_counts() -> None:
    circuit = _closed()
    for _ in range(3):
        record_failure(circuit, now=NOW, error="x", policy=POLICY)
    later = NOW + timedelta(seconds=5)

    record_failure(circuit, now=later, error="y", policy=POLICY)

    assert (circuit.state, circuit.consecutive_failures) == (CircuitState.OPEN, 4)
    assert circuit.probe_at == NOW + timedelta(seconds=10)


def test_a_probe_is_half_open_for_its_lease_and_its_failure_reopens_for_longer() -> None:
    circuit = _closed()
    for _ in range(3):
        record_failure(circuit, now=NOW, error="x", policy=POLICY)
    probe_time = NOW + timedelta(seconds=10)

    start_probe(circuit, now=probe_time, lease_s=30)
    assert (circuit.state, circuit.probe_at) == (
        CircuitState.HALF_OPEN,
        probe_time + timedelta(seconds=30),
    )
    record_failure(circuit, now=probe_time, error="x", policy=POLICY)

    assert circuit.state == CircuitState.OPEN
    assert circuit.probe_at == probe_time + timedelta(seconds=20)


def test_success_and_refusal_close_the_circuit() -> None:
    for close in (lambda c: record_success(c, now=NOW), record_answer):
        circuit = _closed()
        for _ in range(3):
            record_failure(circuit, now=NOW, error="x", policy=POLICY)
        close(circuit)
        assert (circuit.state, circuit.consecutive_failures, circuit.probe_at) == (
            CircuitState.CLOSED,
            0,
            None,
        )
        assert circuit.last_error == "x"  # kept for the dashboard


def test_only_success_is_a_last_success() -> None:
    answered, delivered = _closed(), _closed()
    record_answer(answered)
    record_success(delivered, now=NOW)
    assert (answered.last_success_at, delivered.last_success_at) == (None, NOW)


def test_the_context_takes_its_policy_from_the_settings() -> None:
    settings = Settings(
        circuit_failure_threshold=7, circuit_cooldown_s=2.5, circuit_max_cooldown_s=9
    )
    sessions: sessionmaker[Session] = sessionmaker()
    context = DeliveryContext.from_settings(
        settings, sessions, PartnerTransports(sessions, {}, timeout_s=1)
    )
    assert context.circuit == CircuitPolicy(failure_threshold=7, cooldown_s=2.5, max_cooldown_s=9)
