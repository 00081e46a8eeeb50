"""Real processes for fault tests, chaos runs and benchmarks: the hub's APIs and workers, a
broker and a recording partner, each killable and restartable by name."""

from tooling.rig.ports import ReservedPort
from tooling.rig.processes import (
    ManagedProcess,
    ProcessGroup,
    ProcessSpec,
    child_env,
    exit_on_sigterm,
    http_probe,
)
from tooling.rig.receiver import ArrivalLog, Mode, Receiver
from tooling.rig.rig import RECEIVERS, RIG_ENV, SENDERS, Rig, RigOptions, hub_key_provider

__all__ = [
    # The rig
    "RECEIVERS",
    "RIG_ENV",
    "SENDERS",
    "Rig",
    "RigOptions",
    "hub_key_provider",
    # The recording partner
    "ArrivalLog",
    "Mode",
    "Receiver",
    # Processes
    "ManagedProcess",
    "ProcessGroup",
    "ProcessSpec",
    "child_env",
    "exit_on_sigterm",
    "http_probe",
    # Ports
    "ReservedPort",
]
