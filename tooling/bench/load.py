"""Posting signed messages to the hub over HTTP, and waiting until their copies are delivered.

Concurrent clients each keep one HTTP connection alive and post pre-signed bytes, as
partner systems do. A message counts once every recipient's copy has reached the
recording receiver; the run's end is the hub's own time of the last delivery (its
outbox row's ``delivered_at``, written after the partner answered).
"""

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

__all__ = ["Poster", "Posted", "wait_for_arrivals"]

#: One HTTP exchange with the hub may take this long, in seconds.
_HTTP_TIMEOUT_S = 60.0
#: How often the receiver's record is read while waiting, in seconds.
_POLL_S = 0.25
#: A run with no delivery for this long has stalled, in seconds.
_STALL_S = 60.0


@dataclass(frozen=True)
class Posted:
    """What the hub answered to a batch of posts."""

    accepted: tuple[str, ...]
    #: Refusals by problem code (or HTTP status).
    refused: dict[str, int]
    #: CPU time the posting threads spent on these posts, in seconds: the load
    #: generator's share of the cores, counted apart from the hub's.
    cpu_seconds: float


class Poster:
    """Posts signed messages to the hub's API processes from ``concurrency`` threads."""

    def __init__(self, api_urls: Sequence[str], api_key: str, *, concurrency: int) -> None:
        self._urls = [url.rstrip("/") + "/api/v1/messages" for url in api_urls]
        self._headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/xml"}
        self._concurrency = concurrency
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._lock = threading.Lock()

    def post_all(self, messages: Sequence[tuple[str, bytes]]) -> Posted:
        """Post every ``(MessageId, bytes)``, spread over the API processes; return the answers."""
        urls = itertools.cycle(self._urls)
        jobs = [(next(urls), message_id, raw) for message_id, raw in messages]
        with ThreadPoolExecutor(self._concurrency, thread_name_prefix="bench-post") as pool:
            timed = list(pool.map(lambda job: self._timed_post(*job), jobs))
        answers = [answer for answer, _ in timed]
        accepted = tuple(message_id for message_id, code in answers if code is None)
        refused = Counter(code for _, code in answers if code is not None)
        return Posted(accepted, dict(refused), sum(seconds for _, seconds in timed))

    def post_one(self, message_id: str, raw: bytes) -> str | None:
        """Post one message to the first API process; None if accepted, else the refusal."""
        return self._post(self._urls[0], message_id, raw)[1]

    def close(self) -> None:
        with self._lock:
            for client in self._clients:
                client.close()
            self._clients.clear()

    def _timed_post(
        self, url: str, message_id: str, raw: bytes
    ) -> tuple[tuple[str, str | None], float]:
        """``_post`` and the CPU time this thread spent on it, in seconds: the posting
        threads' own, not the rest of the bench process (its samplers and polls)."""
        started = time.thread_time()
        answer = self._post(url, message_id, raw)
        return answer, time.thread_time() - started

    def _post(self, url: str, message_id: str, raw: bytes) -> tuple[str, str | None]:
        client = self._client()
        try:
            answer = client.post(url, content=raw, headers=self._headers)
        except httpx.TransportError as exc:
            return message_id, f"http.{type(exc).__name__}"
        if answer.status_code == 202:
            return message_id, None
        try:
            code = str(answer.json().get("code", answer.status_code))
        except ValueError:
            code = str(answer.status_code)
        return message_id, code

    def _client(self) -> httpx.Client:
        # One keep-alive connection per posting thread, as one partner connection each.
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = httpx.Client(timeout=_HTTP_TIMEOUT_S)
            with self._lock:
                self._clients.append(client)
        return client


def wait_for_arrivals(
    arrived: Callable[[], Collection[tuple[str, str]]], expected: Collection[tuple[str, str]]
) -> None:
    """Wait until every expected ``(recipient, MessageId)`` is among ``arrived()``.

    Raises:
      TimeoutError: no new arrival for ``_STALL_S`` seconds (the log of each process
        under the run's data folder says why).
    """
    wanted = set(expected)
    seen, progress_at = -1, time.monotonic()
    while True:
        missing = len(wanted - set(arrived()))
        if not missing:
            return
        if missing != seen:
            seen, progress_at = missing, time.monotonic()
        elif time.monotonic() - progress_at > _STALL_S:
            raise TimeoutError(
                f"{missing} of {len(wanted)} copies not delivered, "
                f"none arrived in the last {_STALL_S:.0f} s"
            )
        time.sleep(_POLL_S)
