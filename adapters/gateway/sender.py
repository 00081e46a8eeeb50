"""Posting spooled messages to the hub: at once for the native caller, and later with backoff.

A message is sent by one thread at a time (the native request that spooled it, or the
background loop; the other waits for that attempt's answer), so the hub sees each attempt
once. The hub's answer is written to the spool before anyone is told: taken (hub id,
recipients; a ``replay.duplicate`` after a resend counts as taken), refused with its code
(never sent again), or unreachable (the next attempt after an exponential backoff).
Messages go in spool order: the loop stops at the first one that is not due or not taken,
and a new message is sent at once only when nothing older waits, so a receipt never
overtakes the message it answers.
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
        self._changed = threading.Condition()
        self._in_flight: set[int] = set()

    def send_now(self, entry: SpoolEntry) -> SpoolEntry:
        """Try to send a newly spooled ``entry`` at once, unless older messages wait (they go
        first, from the loop); return it as the spool then holds it.

        Raises:
            SpoolUnavailable: the hub's answer could not be recorded (the message stays
                waiting, and its resend will be a duplicate at the hub).
        """
        (oldest,) = self._spool.waiting(limit=1) or (None,)
        if oldest is not None and oldest.gateway_id != entry.gateway_id:
            return self._spool.get(entry.gateway_id)
        return self.attempt(entry)

    def attempt(self, entry: SpoolEntry) -> SpoolEntry:
        """Try to send ``entry`` once now, unless it is not waiting; if another thread is
        sending it, wait for that attempt instead. Return it as the spool then holds it.

        Raises:
            SpoolUnavailable: as for ``send_now``.
        """
        if entry.state is not OutgoingState.WAITING:
            return self._spool.get(entry.gateway_id)
        with self._changed:
            if entry.gateway_id in self._in_flight:
                # The other attempt's answer is this one's: the hub sees each attempt once.
                while entry.gateway_id in self._in_flight:
                    self._changed.wait()
                return self._spool.get(entry.gateway_id)
            self._in_flight.add(entry.gateway_id)
        try:
            self._send(entry)
        finally:
            with self._changed:
                self._in_flight.discard(entry.gateway_id)
                self._changed.notify_all()
        return self._spool.get(entry.gateway_id)

    def send_due(self) -> int:
        """One pass: send the waiting messages in order, up to the first one not due yet or
        not taken; return how many the hub took."""
        taken = 0
        for entry in self._spool.waiting(limit=BATCH):
            if entry.next_attempt_at > self._clock():
                break
            state = self.attempt(entry).state
            if state is OutgoingState.WAITING:
                break
            taken += state is OutgoingState.SENT
        return taken

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
