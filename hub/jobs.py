"""The worker's periodic jobs (the deadline job, the daily summary): one loop for each."""

import logging
import threading
from collections.abc import Callable
from datetime import datetime

_log = logging.getLogger(__name__)


def run_every(
    job: Callable[[datetime], None],
    *,
    clock: Callable[[], datetime],
    interval_s: float,
    stop: threading.Event,
    name: str,
) -> None:
    """Call ``job(now)`` every ``interval_s`` seconds until ``stop``; a failed pass is logged
    and the next one retries."""
    while not stop.is_set():
        try:
            job(clock())
        except Exception:  # the job must outlive a database blip; the next pass retries
            _log.exception("%s pass failed", name)
        stop.wait(interval_s)
