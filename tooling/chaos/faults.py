"""The fault injector: while the load runs, one fault after another, chosen at random.

Each fault breaks one part of the rig and repairs it (a killed process is started
again, a failing partner heals), so the system must come through on its own: the
checker then counts whether it did. A fault that the rig's set-up cannot have
(FLUSHALL without Redis, a PostgreSQL restart without a private cluster) is left out.
"""

import contextlib
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx
import redis

from tooling.rig import RECEIVERS, ArrivalLog, Mode, Rig
from tooling.rig.postgres import PrivatePostgres, StopMode

__all__ = [
    "FAULTS",
    "FaultEvent",
    "FaultInjector",
    "Target",
    "available_faults",
    "hold_until_met",
]

#: How long a broken part stays broken before it is repaired, in seconds.
DOWN_S = 1.0
#: How long a crash-mode receiver waits for its next arrival before it is killed anyway.
_CRASH_WAIT_S = 3.0
#: How long a receiver fault waits, at most, for a call to each partner the receiver plays.
_MEET_WAIT_S = 30.0


@dataclass(frozen=True)
class Target:
    """What the faults act on."""

    rig: Rig
    postgres: PrivatePostgres | None = None
    #: Set once the load is sent: a receiver fault then stops waiting for the partners
    #: to meet it, since what is left of the load may never bring them.
    load_over: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class FaultEvent:
    name: str
    #: What it hit, e.g. ``worker-1``.
    target: str
    #: When it started, in seconds since the injector started.
    at_s: float
    took_s: float


def _kill_restart(names: Callable[[Rig], list[str]]) -> Callable[[Target, random.Random], str]:
    def fault(target: Target, rng: random.Random) -> str:
        name = rng.choice(names(target.rig))
        target.rig.kill(name)
        time.sleep(DOWN_S)
        target.rig.restart(name)
        return name

    return fault


def _restart_redis(target: Target, _rng: random.Random) -> str:
    target.rig.kill("redis")
    time.sleep(DOWN_S)
    target.rig.restart("redis")
    return "redis"


def _flushall_redis(target: Target, _rng: random.Random) -> str:
    client = redis.Redis.from_url(target.rig.broker_url)
    try:
        client.flushall()
    finally:
        client.close()
    return "redis"


def hold_until_met(
    log: ArrivalLog,
    mode: Mode,
    *,
    since_id: int,
    load_over: threading.Event,
    bound_s: float = _MEET_WAIT_S,
) -> bool:
    """Wait until each partner the receiver plays had a call in ``mode`` after arrival
    ``since_id``; True if they did. Gives up, False, once ``load_over`` is set (what is
    left of the load may never bring them) or after ``bound_s`` seconds."""
    deadline = time.monotonic() + bound_s
    while not log.met(mode, since_id=since_id) >= set(RECEIVERS):
        if time.monotonic() >= deadline or load_over.wait(0.05):
            return False
    return True


def _receiver_mode(mode: Mode) -> Callable[[Target, random.Random], str]:
    def fault(target: Target, _rng: random.Random) -> str:
        receiver = target.rig.receiver
        timeout_s = float(target.rig.hub_env()["HUB_DELIVERY_TIMEOUT_S"])
        log = receiver.log()
        try:
            since = log.last_id()
            receiver.set_mode(mode, delay_s=timeout_s + 1.0)
            # A loaded machine may bring the first copies after a fixed window has passed.
            hold_until_met(log, mode, since_id=since, load_over=target.load_over)
            time.sleep(DOWN_S + timeout_s)
            receiver.set_mode(Mode.OK)
        finally:
            log.close()
        return f"receiver:{mode.value}"

    return fault


def _receiver_crash(target: Target, _rng: random.Random) -> str:
    """Record the next arrival, then die before answering; started again after."""
    # An arrival may take the crash mode before the switch's own answer goes out, so the
    # receiver dies mid-reply: that is the fault itself, and it is restarted below.
    with contextlib.suppress(httpx.TransportError):
        target.rig.receiver.set_mode(Mode.CRASH)
    process = target.rig.processes["receiver"].process
    deadline = time.monotonic() + _CRASH_WAIT_S
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    target.rig.restart("receiver")
    return "receiver:crash" if process.returncode != -9 else "receiver:killed"


def _restart_postgres(target: Target, rng: random.Random) -> str:
    postgres = target.postgres
    assert postgres is not None  # available_faults offers it only with a private cluster
    mode: StopMode = "immediate" if rng.random() < 0.5 else "fast"
    postgres.stop(mode)
    time.sleep(DOWN_S)
    postgres.start()
    return f"postgres:{mode}"


#: Every fault by name: it breaks a part, waits, repairs it, and names what it hit.
FAULTS: dict[str, Callable[[Target, random.Random], str]] = {
    "kill_worker": _kill_restart(lambda rig: rig.worker_names),
    "kill_api": _kill_restart(lambda rig: rig.api_names),
    "restart_redis": _restart_redis,
    "flushall_redis": _flushall_redis,
    "receiver_fail": _receiver_mode(Mode.FAIL),
    "receiver_slow": _receiver_mode(Mode.SLOW),
    "receiver_crash": _receiver_crash,
    "receiver_down": _kill_restart(lambda _rig: ["receiver"]),
    "restart_postgres": _restart_postgres,
}


def available_faults(target: Target) -> list[str]:
    """The faults this target can have."""
    rig = target.rig
    redis_broker = rig.broker_url.startswith(("redis", "unix"))
    unavailable = {
        "kill_worker": not rig.worker_names,
        "restart_redis": not rig.owns_redis,
        "flushall_redis": not redis_broker,
        "restart_postgres": target.postgres is None,
    }
    return [name for name in FAULTS if not unavailable.get(name, False)]


class FaultInjector:
    """Injects ``faults`` one after another, ``pause_s`` apart, until ``stop()``."""

    def __init__(
        self, target: Target, faults: Sequence[str], *, rng: random.Random, pause_s: float = 0.5
    ) -> None:
        unknown = set(faults) - FAULTS.keys()
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; known: {sorted(FAULTS)}")
        if not faults:
            raise ValueError("give at least one fault to inject")
        self.events: list[FaultEvent] = []
        self._target = target
        self._faults = list(faults)
        self._rng = rng
        self._pause_s = pause_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos-faults", daemon=True)
        self._error: BaseException | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Let the running fault finish its repair, then end.

        Raises:
            Exception: the one a fault raised (a part that could not be repaired).
        """
        self._stop.set()
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        started = time.monotonic()
        try:
            while not self._stop.wait(self._pause_s):
                name = self._rng.choice(self._faults)
                at = time.monotonic()
                hit = FAULTS[name](self._target, self._rng)
                self.events.append(
                    FaultEvent(name, hit, round(at - started, 2), round(time.monotonic() - at, 2))
                )
        except BaseException as exc:  # handed to stop(): the caller must hear of it
            self._error = exc
