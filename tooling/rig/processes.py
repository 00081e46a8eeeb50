"""Child processes of a rig: spawned with their output in a log file, probed until they
answer, killed like a crash, stopped like a deployment.

Shared by the demo's stack and the fault rig: both run the hub's parts as real
processes on loopback ports the group holds for them (``tooling.rig.ports``), and must
never leave one behind.
"""

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from tooling.rig.ports import ReservedPort

__all__ = [
    "STARTUP_DEADLINE_S",
    "STOP_GRACE_S",
    "ManagedProcess",
    "ProcessGroup",
    "ProcessSpec",
    "child_env",
    "exit_on_sigterm",
    "Probe",
    "http_probe",
]

#: How long a process may take to answer after it starts, in seconds.
STARTUP_DEADLINE_S = 60.0
#: How long a process may take to stop after SIGTERM before it is killed, in seconds.
STOP_GRACE_S = 15.0
#: Pause between two readiness probes, in seconds.
_PROBE_INTERVAL_S = 0.2

#: Answers whether a started process is ready; called again until it says so.
Probe = Callable[["ManagedProcess"], bool]


def http_probe(url: str) -> Probe:
    """Ready when ``GET url`` answers 200."""

    def probe(_process: "ManagedProcess") -> bool:
        try:
            return httpx.get(url, timeout=2.0).status_code == 200
        except httpx.TransportError:
            return False  # not listening yet

    return probe


@dataclass(frozen=True)
class ProcessSpec:
    """How to start one process; kept, so a killed process can be started again alike."""

    name: str
    command: Sequence[str]
    env: Mapping[str, str]
    #: None: the process counts as ready as soon as it runs.
    probe: Probe | None = None


@dataclass
class ManagedProcess:
    spec: ProcessSpec
    process: "subprocess.Popen[bytes]"
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process.poll() is None


class ProcessGroup:
    """The processes one rig started, by name, and the ports they listen on; ``stop()``
    ends every one of them, then gives the ports back.

    Each process gets its own session (``start_new_session``): a Ctrl-C in the terminal
    reaches only the rig, which then stops its children in order instead of all of them
    dying at once mid-write.
    """

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.processes: dict[str, ManagedProcess] = {}
        # A fault thread may restart a process while the group stops: once stopped, the
        # group starts nothing more, or that process would outlive its rig.
        self._lock = threading.Lock()
        self._stopped = False
        self._ports: list[ReservedPort] = []

    def __getitem__(self, name: str) -> ManagedProcess:
        try:
            return self.processes[name]
        except KeyError:
            raise KeyError(f"no process named {name!r}; have {sorted(self.processes)}") from None

    def reserve_port(self) -> int:
        """A loopback port for one of the group's servers, held until ``stop()``: a killed
        and restarted server gets it back, and no one else can take it meanwhile."""
        with self._lock:
            if self._stopped:
                raise RuntimeError("not reserving a port: the processes are being stopped")
            reserved = ReservedPort()
            self._ports.append(reserved)
        return reserved.port

    def spawn(self, spec: ProcessSpec) -> ManagedProcess:
        """Start ``spec`` (replacing a stopped process of that name); output appends to
        ``<log_dir>/<name>.log``, so a restarted process continues its log.

        Raises:
            RuntimeError: the group is stopped, or ``name`` still runs.
        """
        with self._lock:
            if self._stopped:
                raise RuntimeError(f"not starting {spec.name}: the processes are being stopped")
            previous = self.processes.get(spec.name)
            if previous is not None and previous.running:
                raise RuntimeError(f"{spec.name} is still running (pid {previous.pid})")
            self.log_dir.mkdir(parents=True, exist_ok=True)
            log = self.log_dir / f"{spec.name}.log"
            # The child keeps its own handle on the log; ours is closed at once.
            with log.open("ab") as handle:
                process = subprocess.Popen(  # noqa: S603 — our own interpreter and modules
                    list(spec.command),
                    env=dict(spec.env),
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            managed = ManagedProcess(spec, process, log)
            self.processes[spec.name] = managed
            return managed

    def wait_until_ready(
        self, names: Iterable[str] | None = None, *, deadline_s: float = STARTUP_DEADLINE_S
    ) -> None:
        """Probe ``names`` (default: all) until each answers.

        Raises:
            RuntimeError: one exited meanwhile (its log is named).
            TimeoutError: not all answered within ``deadline_s`` seconds.
        """
        pending = set(self.processes if names is None else names)
        deadline = time.monotonic() + deadline_s
        while pending:
            for name in sorted(pending):
                managed = self[name]
                if not managed.running:
                    raise RuntimeError(
                        f"{name} exited with {managed.process.returncode}; see {managed.log}"
                    )
                if managed.spec.probe is None or managed.spec.probe(managed):
                    pending.discard(name)
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {deadline_s} s: {sorted(pending)}")
            if pending:
                time.sleep(_PROBE_INTERVAL_S)

    def kill(self, name: str) -> None:
        """SIGKILL ``name`` and reap it, as a crash would end it (no cleanup runs)."""
        managed = self[name]
        if managed.running:
            managed.process.send_signal(signal.SIGKILL)
        managed.process.wait()

    def restart(self, name: str, *, deadline_s: float = STARTUP_DEADLINE_S) -> ManagedProcess:
        """Kill ``name`` if it still runs, start it again alike and wait until it answers."""
        self.kill(name)
        managed = self.spawn(self[name].spec)
        self.wait_until_ready([name], deadline_s=deadline_s)
        return managed

    def stop(self) -> None:
        """SIGTERM every process (in reverse start order), then SIGKILL those still running
        after ``STOP_GRACE_S``, then give the ports back; from then on the group starts
        nothing. Safe to call twice."""
        with self._lock:
            self._stopped = True
            chosen = [*self.processes.values()]
        chosen.reverse()
        for managed in chosen:
            if managed.running:
                managed.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for managed in chosen:
            try:
                managed.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                managed.process.kill()
                managed.process.wait()
        for reserved in self._ports:
            reserved.release()


def child_env(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment with ``extra`` on top (children find PATH, the venv, …)."""
    return {**os.environ, **extra}


def exit_on_sigterm() -> None:
    """Make SIGTERM end this process as Ctrl-C does: by an exception that unwinds every
    ``with`` block, so the processes, servers and folders a command started are stopped.
    Python's default for SIGTERM ends the process at once, leaving them all running."""

    def terminated(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminated)
