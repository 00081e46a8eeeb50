"""The load: N FamilyReferrals from the police's client, really signed, a share tampered.

Each message is signed once; a send that got no answer (a killed API, a refused
connection, a 5xx) is repeated with the very same bytes — on the next API, as a
partner behind a load balancer would — until the hub answers or the deadline
passes. A 409 ``replay.duplicate`` on a resend means an earlier try was taken.
A tampered message (changed after signing) must be refused.
"""

import itertools
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from adapters.hub_client import HubClient, HubRefused, HubUnreachable
from adapters.police import translate as police
from tooling.demo.families import police_records

__all__ = ["Load", "Outcome", "SendResult", "send_load"]

#: Pause before a send is repeated, in seconds.
RESEND_PAUSE_S = 0.2


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # 2xx, or 409 replay.duplicate after a resend
    REJECTED = "rejected"  # 4xx with a problem code
    UNANSWERED = "unanswered"  # no answer before the deadline


@dataclass(frozen=True)
class SendResult:
    message_id: str
    #: Tampered after signing: must be rejected.
    bad: bool
    outcome: Outcome
    #: The hub's problem code when rejected.
    code: str | None
    #: Posts it took (1 = answered the first time).
    tries: int


@dataclass(frozen=True)
class Load:
    """What to send: ``messages`` in all, ``bad_share`` of them tampered."""

    messages: int
    bad_share: float = 0.1
    #: Sends in flight at once.
    concurrency: int = 8
    #: Messages a second at most (0: as fast as the hub takes them).
    rate_per_s: float = 0.0
    #: How long one message may go unanswered before the client gives up, in seconds.
    resend_deadline_s: float = 120.0

    def __post_init__(self) -> None:
        if self.messages < 1:
            raise ValueError(f"send at least one message, not {self.messages}")
        if not 0.0 <= self.bad_share <= 1.0:
            raise ValueError(f"bad_share is a fraction between 0 and 1, not {self.bad_share}")
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {self.concurrency}")
        if self.rate_per_s < 0:
            raise ValueError(f"rate_per_s cannot be negative: {self.rate_per_s}")


def send_load(
    load: Load,
    clients: Sequence[HubClient],
    *,
    rng: random.Random,
    stamp: str,
    now: datetime,
    stop: threading.Event | None = None,
) -> list[SendResult]:
    """Send the load through ``clients`` (one per API, used in turn); one result per message.

    ``stamp`` makes this run's MessageIds its own (they derive from КУСП numbers).
    ``stop`` ends the load early: messages not yet sent are left out of the results.
    """
    stop = stop or threading.Event()
    bad = set(rng.sample(range(load.messages), round(load.messages * load.bad_share)))
    turn = itertools.count()
    pace = _Pace(load.rate_per_s)

    def one(index: int) -> SendResult | None:
        if stop.is_set() or not pace.wait(stop):
            return None
        record = police_records(f"{stamp}-{index:06d}", now)[index % 3]
        kusp_number = str(record["kusp_number"])
        message_id = police.message_id_for(kusp_number)
        signed = clients[0].sign(police.to_canonical(record, message_id=message_id, now=now))
        if index in bad:
            signed = _tamper(signed, kusp_number)
        return _send(
            signed,
            message_id,
            bad=index in bad,
            next_client=lambda: clients[next(turn) % len(clients)],
            deadline=time.monotonic() + load.resend_deadline_s,
            stop=stop,
        )

    with ThreadPoolExecutor(load.concurrency, thread_name_prefix="chaos-load") as pool:
        try:
            results = list(pool.map(one, range(load.messages)))
        except BaseException:
            stop.set()  # Ctrl-C: the sends in flight end at their next pause
            raise
    return [r for r in results if r is not None]


def _tamper(signed: bytes, kusp_number: str) -> bytes:
    """The signed bytes with the referral's number changed (the MessageId stays)."""
    marker = kusp_number.encode()
    tampered = signed.replace(marker, marker + b"-0", 1)
    if tampered == signed:
        raise AssertionError(f"{kusp_number} is not in the signed message: nothing tampered")
    return tampered


def _send(
    signed: bytes,
    message_id: str,
    *,
    bad: bool,
    next_client: Callable[[], HubClient],
    deadline: float,
    stop: threading.Event,
) -> SendResult:
    for tries in itertools.count(1):
        try:
            next_client().send_signed(signed, message_id)
        except HubRefused as exc:
            return SendResult(message_id, bad, Outcome.REJECTED, exc.code, tries)
        except HubUnreachable:
            if time.monotonic() > deadline or stop.wait(RESEND_PAUSE_S):
                return SendResult(message_id, bad, Outcome.UNANSWERED, None, tries)
            continue
        return SendResult(message_id, bad, Outcome.ACCEPTED, None, tries)
    raise AssertionError("unreachable")  # itertools.count never ends


class _Pace:
    """Spaces sends ``1 / rate`` seconds apart across threads (no limit at rate 0)."""

    def __init__(self, rate_per_s: float) -> None:
        self._interval = 1.0 / rate_per_s if rate_per_s else 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self, stop: threading.Event) -> bool:
        """Wait for this send's slot; False if ``stop`` was set meanwhile."""
        with self._lock:
            slot = max(self._next, time.monotonic())
            self._next = slot + self._interval
        return not stop.wait(max(0.0, slot - time.monotonic()))
