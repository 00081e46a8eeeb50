"""Answers remembered for a few seconds: what a busy partner's every request would re-read.

A partner posting hundreds of messages a second presents the same API key and signs with
the same certificate each time; reading their standing from the database per request
buys nothing but a bound on how late a revocation takes effect. ``Recent`` keeps an
answer for ``ttl_s`` seconds (``HUB_CREDENTIAL_CACHE_S``, never longer than
``HUB_CRL_RECHECK_S``), which is that bound, stated. Only answers that let a request
through are kept: a refusal is always read afresh, so a key or certificate issued a
moment ago is never refused from memory.
"""

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["Recent"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: Bound on remembered answers; one per live key or partner is the normal load.
_MAX_ENTRIES = 1_024


class Recent(Generic[K, V]):
    """Values by key, each forgotten ``ttl_s`` seconds after it was put. Thread-safe.

    ``clock`` counts seconds (``time.monotonic`` unless a test steps one itself).
    """

    def __init__(self, ttl_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._entries: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def find(self, key: K) -> V | None:
        """The value put for ``key`` less than ``ttl_s`` seconds ago, else None."""
        entry = self._entries.get(key)
        if entry is None or entry[0] <= self._clock():
            return None
        return entry[1]

    def put(self, key: K, value: V) -> None:
        """Remember ``value`` for ``key`` for ``ttl_s`` seconds (not at all when it is 0)."""
        if self._ttl_s <= 0:
            return
        with self._lock:
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (self._clock() + self._ttl_s, value)
