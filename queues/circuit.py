"""The circuit breaker per partner, and the gate every push attempt passes first.

After ``failure_threshold`` consecutive failed attempts (the partner unreachable:
``PartnerUnavailable``, a timeout, a 5xx, or an unexpected transport error) the
circuit opens: no attempt reaches that partner until ``probe_at``. Then one attempt
goes through as a probe (``half_open``, holding the probe for one lease); its
success closes the circuit, its failure re-opens it with a cool-down twice as long
as the last, up to ``max_cooldown_s``. A refusal (``PartnerRejected``) is an answer:
the partner is up, so it closes the circuit too.

The state lives in the ``partner_circuit`` row, read and changed only under
``lock_circuit`` (a row lock), so concurrent workers agree on a single probe. A
partner that may not be called now gets nothing claimed (``deliver_batch``): its rows
keep their attempt counts, so no retry is spent, and the sweeper wakes their lanes
once the gate opens.

A circuit that opens (from closed) or closes (from open or half-open) writes one log
line (``circuit opened``/``circuit closed``, with ``partner`` and ``state``) and counts
the transition on its row (``opened_total``/``closed_total``), which ``/metrics`` shows
as ``hub_circuit_transitions_total{partner,state}``. A failed probe re-opening the
circuit is not a new opening: the partner stayed down.
"""

import enum
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hub.store import (
    CircuitState,
    PartnerCircuit,
    close_circuit,
    gate_view,
    is_partner_paused,
    lock_circuit,
)

__all__ = [
    "DEFAULT_CIRCUIT_POLICY",
    "CircuitPolicy",
    "Gate",
    "admit",
    "close_on_success",
    "record_answer",
    "record_failure",
    "record_success",
    "start_probe",
]

_log = logging.getLogger(__name__)

#: ``partner_circuit.last_error`` is a ``String(1000)`` column.
_MAX_ERROR_CHARS = 1000


@dataclass(frozen=True)
class CircuitPolicy:
    """When a circuit opens and how long it stays open."""

    #: Consecutive failed attempts that open the circuit.
    failure_threshold: int = 5
    #: First cool-down before a probe, in seconds; doubled after each failed probe…
    cooldown_s: float = 30.0
    #: …up to this many seconds.
    max_cooldown_s: float = 600.0

    def cooldown(self, consecutive_failures: int) -> timedelta:
        """How long the circuit stays open after ``consecutive_failures`` failures in a row."""
        doublings = max(consecutive_failures - self.failure_threshold, 0)
        # Cap the exponent before computing: 2**doublings grows without bound.
        seconds = self.cooldown_s * 2 ** min(doublings, 32)
        return timedelta(seconds=min(seconds, self.max_cooldown_s))


#: The policy of ``hub.config.Settings``' defaults (5 failures, 30 s doubling up to 600 s).
DEFAULT_CIRCUIT_POLICY = CircuitPolicy()


class Gate(enum.StrEnum):
    """What ``admit`` allows for one push attempt."""

    GO = "go"  # the circuit is closed
    PROBE = "probe"  # the circuit's cool-down is over: this attempt is its probe
    PAUSED = "paused"  # an administrator paused the partner: wait
    OPEN = "open"  # the circuit is open (or a probe is in flight): wait


def admit(session: Session, partner: str, *, now: datetime) -> tuple[Gate, PartnerCircuit | None]:
    """Whether a push attempt to ``partner`` may go now, and its circuit row, locked.

    A closed circuit is read without a lock and gives ``(GO, None)``: admitting an
    attempt changes nothing about it, and a failure that opens it a moment later
    would not have stopped an attempt admitted a moment earlier either. Otherwise the
    row is locked and returned; it is ``None`` when the partner is paused (its circuit
    is not consulted). A ``PROBE`` verdict changes nothing yet: the caller claims the
    outbox row, then calls ``start_probe`` in the same transaction, so a probe that
    found no row to claim does not use up the probe.
    """
    view = gate_view(session, partner)
    if view is not None and view.paused:
        return Gate.PAUSED, None
    if view is not None and view.circuit is CircuitState.CLOSED:
        return Gate.GO, None
    if is_partner_paused(session, partner):
        return Gate.PAUSED, None
    circuit = lock_circuit(session, partner)
    if circuit.state == CircuitState.CLOSED:
        return Gate.GO, circuit
    if circuit.probe_at is not None and circuit.probe_at > now:
        return Gate.OPEN, circuit
    return Gate.PROBE, circuit


def start_probe(circuit: PartnerCircuit, *, now: datetime, lease_s: float) -> None:
    """Mark ``circuit`` half-open: its probe holds it for ``lease_s`` seconds.

    Should the probing worker die, the probe expires with the lease and the next
    attempt probes instead.
    """
    circuit.state = CircuitState.HALF_OPEN
    circuit.probe_at = now + timedelta(seconds=lease_s)


def record_success(circuit: PartnerCircuit, *, now: datetime) -> None:
    """A delivery went through: close the circuit and clear the failure count."""
    _close(circuit)
    circuit.last_success_at = now


def close_on_success(session: Session, partner: str, *, now: datetime) -> None:
    """``record_success`` on ``partner``'s circuit, in one statement when it is closed already
    (the usual case); otherwise under its lock, so the closing is logged and counted."""
    if not close_circuit(session, partner, now=now):
        record_success(lock_circuit(session, partner), now=now)


def record_answer(circuit: PartnerCircuit) -> None:
    """The partner refused a message: it is reachable, so close the circuit."""
    _close(circuit)


def record_failure(
    circuit: PartnerCircuit, *, now: datetime, error: str, policy: CircuitPolicy
) -> None:
    """An attempt failed (partner unreachable): count it, and open the circuit if due.

    A failed probe re-opens the circuit with the next, longer cool-down. A failure
    arriving while the circuit is already open (an attempt that started before it
    opened) only counts.
    """
    circuit.consecutive_failures += 1
    circuit.last_failure_at = now
    circuit.last_error = error[:_MAX_ERROR_CHARS]
    reopen = circuit.state == CircuitState.HALF_OPEN
    first_open = (
        circuit.state == CircuitState.CLOSED
        and circuit.consecutive_failures >= policy.failure_threshold
    )
    if reopen or first_open:
        circuit.state = CircuitState.OPEN
        circuit.opened_at = now
        circuit.probe_at = now + policy.cooldown(circuit.consecutive_failures)
    if first_open:
        circuit.opened_total += 1
        _log_transition(circuit, CircuitState.OPEN)


def _close(circuit: PartnerCircuit) -> None:
    if circuit.state != CircuitState.CLOSED:
        circuit.closed_total += 1
        _log_transition(circuit, CircuitState.CLOSED)
    circuit.state = CircuitState.CLOSED
    circuit.consecutive_failures = 0
    circuit.opened_at = None
    circuit.probe_at = None


def _log_transition(circuit: PartnerCircuit, state: CircuitState) -> None:
    """One line per transition; an opening is a warning an operator may act on."""
    opened = state is CircuitState.OPEN
    _log.log(
        logging.WARNING if opened else logging.INFO,
        "circuit %s: %s",
        state.value,
        circuit.partner_code,
        extra={
            "partner": circuit.partner_code,
            "state": state.value,
            "consecutive_failures": circuit.consecutive_failures,
            "error": circuit.last_error if opened else None,
        },
    )
