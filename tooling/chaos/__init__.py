"""Chaos runs: a mixed load of signed messages while faults strike the rig's processes at
random, then a checker that counts what was lost, duplicated or delivered."""

from tooling.chaos.checker import Figures, check
from tooling.chaos.faults import (
    FAULTS,
    FaultEvent,
    FaultInjector,
    Target,
    available_faults,
    hold_until_met,
)
from tooling.chaos.load import Load, Outcome, SendResult, send_load
from tooling.chaos.run import ChaosOptions, ChaosReport, run_chaos

__all__ = [
    # A whole run
    "ChaosOptions",
    "ChaosReport",
    "run_chaos",
    # Load
    "Load",
    "Outcome",
    "SendResult",
    "send_load",
    # Faults
    "FAULTS",
    "FaultEvent",
    "FaultInjector",
    "Target",
    "available_faults",
    "hold_until_met",
    # Checker
    "Figures",
    "check",
]
