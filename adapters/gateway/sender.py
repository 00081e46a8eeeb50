"""Posting spooled messages to the hub: at once for the native caller, and later with backoff.

A message is sent by one thread at a time (the native request that spooled it, or the
background loop), so the hub sees each attempt once. The hub's answer is written to the
spool before anyone is told: taken (hub id, recipients; a ``replay.duplicate`` after a resend
counts as taken), refused with its code (never sent again), or unreachable (the next attempt
after an exponential backoff). The loop goes in spool order and stops at the first
unreachable attempt, so a receipt never overtakes the message it answers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from adapters.gateway.spool import OutgoingState, Spool, SpoolEntry
from adapters.hub_client import HubClient, HubRefused, HubUnreachable

__all__ = ["Backoff", "Sender"]

_log = logging.getLogger(__name__)

#: How many due messages one pass of the loop takes at most.
BATCH = 50


class Backoff:
    """Seconds to wait after ``attempts`` failed attempts: doubling from ``min_s`` to ``max_s``."""

    def __init__(self, min_s: float = 0.5, max_s: float = 30.0) -> None:
        self.min_s = min_s
        self.max_s = max_s

    def delay_s(self, attempts: int) -> float:
        return float(min(self.max_s, self.min_s * 2 ** max(0, attempts - 1)))


class Sender:
    """Sends spooled messages with ``hub``; ``send_due`` is the background loop's step."""

    def __init__(
        self,
        spool: Spool,
        hub: HubClient,
        backoff: Backoff,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._spool = spool
        self._hub = hub
        self._backoff = backoff
        self._clock = clock
        self._lock = threading.Lock()
        self._in_flight: set[int] = set()

    def attempt(self, entry: SpoolEntry) -> SpoolEntry:
        """Try to send ``entry`` once now, unless it is not waiting or another thread sends it;
        return it as the spool then holds it.

        Raises:
            SpoolUnavailable: the hub's answer could not be recorded (the message stays
                waiting, and its resend will be a duplicate at the hub).
        """
        if entry.state is not OutgoingState.WAITING or not self._claim(entry.gateway_id):
            return self._spool.get(entry.gateway_id)
        try:
            self._send(entry)
        finally:
            with self._lock:
                self._in_flight.discard(entry.gateway_id)
        return self._spool.get(entry.gateway_id)

    def send_due(self) -> int:
        """One pass: send the waiting messages that are due; return how many the hub took."""
        taken = 0
        for entry in self._spool.due(now=self._clock(), limit=BATCH):
            state = self.attempt(entry).state
            if state is OutgoingState.WAITING:
                break
            taken += state is OutgoingState.SENT
        return taken

    def _claim(self, gateway_id: int) -> bool:
        with self._lock:
            if gateway_id in self._in_flight:
                return False
            self._in_flight.add(gateway_id)
            return True

    def _send(self, entry: SpoolEntry) -> None:
        try:
            receipt = self._hub.send_signed(entry.signed, entry.message_id)
        except HubRefused as exc:
            _log.warning("hub refused %s (%s): %s", entry.gateway_id, entry.message_id, exc.code)
            self._spool.mark_refused(
                entry.gateway_id, code=exc.code, detail=exc.detail, now=self._clock()
            )
        except HubUnreachable as exc:
            now = self._clock()
            self._spool.mark_retry(
                entry.gateway_id,
                error=str(exc),
                now=now,
                next_attempt_at=now + self._backoff.delay_s(entry.attempts + 1),
            )
        else:
            self._spool.mark_sent(
                entry.gateway_id,
                hub_id=receipt.hub_id,
                recipients=tuple(d.recipient for d in receipt.deliveries),
                duplicate=receipt.duplicate,
            )
