"""The urgent lane under a routine backlog: a newborn at risk while a night's batch drains.

A backlog of routine messages waits in the outbox and the broker; while it drains,
an urgent message is posted every ``interval_s`` seconds. Each urgent copy's latency
is the hub's own accepted → delivered time (``message_log.received_at`` to its outbox
row's ``delivered_at``), read from the database afterwards.
"""

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tooling.bench.load import Poster

__all__ = ["UrgentProbe", "percentile", "probe_urgent"]

#: How often the backlog's progress is read while probing, in seconds.
_BACKLOG_CHECK_S = 1.0


@dataclass(frozen=True)
class UrgentProbe:
    """The urgent messages posted and accepted while the backlog drained."""

    accepted: tuple[str, ...]
    refused: int
    #: Seconds from the first probe until the backlog had drained (or the probes ran out).
    seconds: float


def probe_urgent(
    poster: Poster,
    messages: Sequence[tuple[str, bytes]],
    *,
    interval_s: float,
    minimum: int,
    drained: Callable[[], bool],
) -> UrgentProbe:
    """Post one urgent message every ``interval_s`` until the backlog is ``drained()``.

    At least ``minimum`` are posted, at most ``len(messages)``.
    """
    accepted: list[str] = []
    refused = 0
    started = time.monotonic()
    checked_at = started
    done = False
    for index, (message_id, raw) in enumerate(messages):
        if index >= minimum and done:
            break
        time.sleep(max(0.0, started + index * interval_s - time.monotonic()))
        if poster.post_one(message_id, raw) is None:
            accepted.append(message_id)
        else:
            refused += 1
        if not done and time.monotonic() - checked_at >= _BACKLOG_CHECK_S:
            done, checked_at = drained(), time.monotonic()
    return UrgentProbe(tuple(accepted), refused, time.monotonic() - started)


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of ``values``.

    Raises:
      ValueError: ``values`` is empty.
    """
    if not values:
        raise ValueError("no values to take a percentile of")
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(share * len(ordered))))
    return ordered[rank - 1]
