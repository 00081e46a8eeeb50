"""``hub worker``: delivery to partner systems and the deadline job, without the HTTP app.

Kept apart from ``hub serve`` (hub.cli.server) so a worker process never imports FastAPI
and the API's routes: the suite and a deployment start many of them.
"""

import threading
from pathlib import Path

from adapters.registry import ADAPTERS
from hub.cli.common import DataDirOption, console, load_settings
from hub.config import Settings
from hub.digest import run_digests
from hub.escalation import run_escalation
from hub.observability.logging import configure_logging
from hub.runtime import HubRuntime, build_runtime, utc_now
from hub.store import make_engine
from hub.store.migrate import upgrade
from queues import run_worker


def worker(data_dir: Path | None = DataDirOption) -> None:
    """Deliver queued messages to partner systems, and sweep the outbox for stuck ones."""
    settings = load_settings(data_dir)
    configure_logging(settings.log_level, json=settings.log_format == "json")
    prepare(settings)
    # With a shared broker the deadline job enqueues its notices itself; an embedded
    # one belongs to the API process, so the sweeper hands them over instead.
    runtime = build_runtime(settings, with_broker=settings.broker_url is not None)
    stop = threading.Event()
    start_escalation(runtime, stop)
    console.print("hub worker started")
    try:
        run_worker(settings, runtime.session_factory, ADAPTERS, clock=utc_now, stop=stop)
    finally:
        stop.set()
        runtime.close()


def start_escalation(runtime: HubRuntime, stop: threading.Event) -> None:
    """The deadline job (and, with SMTP set, the daily summary) beside the delivery worker,
    until ``stop``."""
    threading.Thread(
        target=run_escalation,
        args=(runtime.ingestor, runtime.session_factory, runtime.regions),
        kwargs={
            "clock": runtime.clock,
            "interval_s": runtime.settings.escalation_interval_s,
            "stop": stop,
        },
        name="escalation",
        daemon=True,
    ).start()
    if runtime.settings.smtp_host is None:
        return
    threading.Thread(
        target=run_digests,
        args=(runtime.settings, runtime.session_factory, runtime.rules, runtime.regions),
        kwargs={"clock": runtime.clock, "stop": stop},
        name="digest",
        daemon=True,
    ).start()


def prepare(settings: Settings) -> None:
    """Embedded stack: make the data folder and bring the SQLite schema up to date."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.database_url is None:
        engine = make_engine(settings.effective_database_url)
        upgrade(engine)
        engine.dispose()
