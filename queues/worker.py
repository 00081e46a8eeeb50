"""A worker process: the delivery actors on an in-process dramatiq worker, plus the sweeper.

``hub worker`` calls ``run_worker``; it blocks until SIGTERM, SIGINT or ``stop``.
"""

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from types import FrameType

import dramatiq
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import Adapter
from queues.actors import declare_actors
from queues.broker import build_broker
from queues.context import DeliveryContext, utc_now
from queues.heartbeat import new_worker_id, run_heartbeat
from queues.settings import QueueSettings
from queues.sweeper import run_sweeper
from queues.transports import PartnerTransports

__all__ = ["IDLE_POLL_MS", "run_worker"]

_log = logging.getLogger(__name__)

#: Longest pause, in ms, before a lane's consumer looks at its empty queue again.
#: dramatiq backs off to its default of 1,000 ms, so an urgent message arriving in
#: the (usually empty) urgent lane could wait a second before a worker even saw it.
IDLE_POLL_MS = 100


def run_worker(
    settings: QueueSettings,
    session_factory: sessionmaker[Session],
    adapters_by_code: Mapping[str, Adapter],
    *,
    clock: Callable[[], datetime] = utc_now,
    stop: threading.Event | None = None,
) -> None:
    """Deliver until told to stop; then finish running attempts and release everything.

    Builds the broker (the embedded Redis when ``settings.broker_url`` is unset),
    declares the actors, starts ``settings.worker_threads`` worker threads and the
    sweeper; ``clock`` gives the current UTC time. SIGTERM and SIGINT set ``stop``
    when called from the main thread. On stop, running attempts get up to
    ``settings.delivery_lease_s`` seconds to finish; messages fetched but not
    started go back to the broker.

    Raises:
      BrokerUrlUnsupported, EmbeddedRedisFailed: the broker could not be built.
    """
    stop = stop or threading.Event()
    transports = PartnerTransports(session_factory, adapters_by_code, settings.delivery_timeout_s)
    context = DeliveryContext.from_settings(settings, session_factory, transports, clock=clock)
    broker, embedded = build_broker(settings.broker_url, data_dir=settings.data_dir)
    try:
        actors = declare_actors(broker, context)
        worker = dramatiq.Worker(
            broker, worker_threads=settings.worker_threads, worker_timeout=IDLE_POLL_MS
        )
        sweeper = threading.Thread(
            target=run_sweeper, args=(session_factory, actors, settings, stop), name="sweeper"
        )
        worker_id = new_worker_id()
        # Its own event, set after the worker has stopped: the worker counts as alive
        # until its running attempts have finished.
        heartbeat_stop = threading.Event()
        heartbeat = threading.Thread(
            target=run_heartbeat,
            args=(session_factory, worker_id),
            kwargs={"clock": clock, "stop": heartbeat_stop},
            name="heartbeat",
            daemon=True,
        )
        worker.start()
        sweeper.start()
        heartbeat.start()
        _log.info(
            "worker started: %d threads",
            settings.worker_threads,
            extra={"worker_id": worker_id},
        )
        try:
            with _stop_on_signals(stop):
                stop.wait()
        finally:
            stop.set()
            try:
                sweeper.join()
                worker.stop(timeout=settings.delivery_lease_s * 1000)
            finally:
                heartbeat_stop.set()
                heartbeat.join()
            _log.info("worker stopped", extra={"worker_id": worker_id})
    finally:
        transports.close()
        broker.close()
        if embedded is not None:
            embedded.stop()


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set ``stop`` on SIGTERM/SIGINT while inside; only the main thread may install handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
