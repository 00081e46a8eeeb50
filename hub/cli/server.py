"""``hub serve`` and ``hub worker``: the long-running processes."""

import signal
import threading
from pathlib import Path

import typer
import uvicorn

from adapters.registry import ADAPTERS
from hub.api import create_app
from hub.cli.common import DataDirOption, console, load_settings
from hub.config import Settings
from hub.escalation import run_escalation
from hub.observability.logging import configure_logging
from hub.runtime import HubRuntime, build_runtime, utc_now
from hub.store import make_engine
from hub.store.migrate import upgrade
from queues import run_worker


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    with_worker: bool = typer.Option(
        True, "--worker/--no-worker", help="Also deliver messages in this process."
    ),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Run the HTTP API (and, by default, a delivery worker) — the embedded stack unless
    DATABASE_URL / REDIS_URL are set."""
    settings = load_settings(data_dir)
    configure_logging(settings.log_level, json=settings.log_format == "json")
    _prepare(settings)
    runtime = build_runtime(settings)
    stop = threading.Event()
    worker_thread = None
    if with_worker:
        worker_thread = threading.Thread(
            target=run_worker,
            args=(settings, runtime.session_factory, ADAPTERS),
            kwargs={"clock": utc_now, "stop": stop},
            name="worker",
            daemon=True,
        )
        worker_thread.start()
        _start_escalation(runtime, stop)
    console.print(f"hub listening on http://{host}:{port} (API docs at /docs)")
    try:
        # uvicorn re-raises the signal that stopped it once it has shut down; under the
        # default SIGTERM action that would end the process before this cleanup runs.
        signal.signal(signal.SIGTERM, lambda _signum, _frame: None)
        # log_config=None: uvicorn's records go through the root handler (JSON) too.
        uvicorn.run(create_app(runtime), host=host, port=port, log_level="warning", log_config=None)
    finally:
        stop.set()
        if worker_thread is not None:
            worker_thread.join(timeout=30)
        runtime.close()


def worker(data_dir: Path | None = DataDirOption) -> None:
    """Deliver queued messages to partner systems, and sweep the outbox for stuck ones."""
    settings = load_settings(data_dir)
    configure_logging(settings.log_level, json=settings.log_format == "json")
    _prepare(settings)
    # With a shared broker the deadline job enqueues its notices itself; an embedded
    # one belongs to the API process, so the sweeper hands them over instead.
    runtime = build_runtime(settings, with_broker=settings.broker_url is not None)
    stop = threading.Event()
    _start_escalation(runtime, stop)
    console.print("hub worker started")
    try:
        run_worker(settings, runtime.session_factory, ADAPTERS, clock=utc_now, stop=stop)
    finally:
        stop.set()
        runtime.close()


def _start_escalation(runtime: HubRuntime, stop: threading.Event) -> None:
    """The deadline job, beside the delivery worker, until ``stop``."""
    threading.Thread(
        target=run_escalation,
        args=(runtime.ingestor, runtime.session_factory),
        kwargs={
            "clock": runtime.clock,
            "interval_s": runtime.settings.escalation_interval_s,
            "stop": stop,
        },
        name="escalation",
        daemon=True,
    ).start()


def _prepare(settings: Settings) -> None:
    """Embedded stack: make the data folder and bring the SQLite schema up to date."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.database_url is None:
        engine = make_engine(settings.effective_database_url)
        upgrade(engine)
        engine.dispose()
