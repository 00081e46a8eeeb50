"""``hub worker``: delivery to partner systems and the periodic jobs, without the HTTP app.

Kept apart from ``hub serve`` (hub.cli.server) so a worker process never imports FastAPI
and the API's routes: the suite and a deployment start many of them.
"""

import socket
import threading
from pathlib import Path

import typer

from adapters.registry import ADAPTERS
from hub.alerts import load_alert_rules, run_alerts
from hub.checkpoints import run_checkpoints
from hub.cli.common import DataDirOption, config_errors, console, fail, load_settings
from hub.config import Settings
from hub.digest import run_digests
from hub.escalation import run_escalation
from hub.observability import workers_alive
from hub.observability.logging import configure_logging
from hub.runtime import HubRuntime, build_runtime, utc_now
from hub.store import make_engine, make_session_factory
from hub.store.migrate import upgrade
from queues import run_worker


def worker(
    check: bool = typer.Option(
        False,
        "--check",
        help="Do not run: exit 0 if a worker on this host has a fresh heartbeat, else 1 "
        "(a container's health check).",
    ),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Deliver queued messages to partner systems, and sweep the outbox for stuck ones."""
    settings = load_settings(data_dir)
    if check:
        _check_heartbeat(settings)
        return
    configure_logging(settings.log_level, json=settings.log_format == "json")
    with config_errors():
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


def _check_heartbeat(settings: Settings) -> None:
    """Exit 0 when a worker of this host beat within ``HUB_WORKER_STALE_S``, else 1."""
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine)() as session:
            alive = workers_alive(session, now=utc_now(), within_s=settings.worker_stale_s)
    finally:
        engine.dispose()
    host = socket.gethostname()[:255]  # as queues.heartbeat records it
    mine = [w.worker_id for w in alive if w.hostname == host]
    if not mine:
        raise fail(f"no worker on {host} has beaten in the last {settings.worker_stale_s:g} s")
    console.print(f"worker alive: {', '.join(mine)}")


def start_escalation(runtime: HubRuntime, stop: threading.Event) -> None:
    """The deadline job, the alert rules, the chain checkpoints (and, with SMTP set,
    the daily summary) beside the delivery worker, until ``stop``.

    Raises:
      ConfigInvalid: the alert rules file is wrong (file, line, reason).
    """
    alert_rules = load_alert_rules(runtime.settings.alert_rules)
    threading.Thread(
        target=run_escalation,
        args=(
            runtime.ingestor,
            runtime.session_factory,
            runtime.regions,
            runtime.rules.delivery_deadlines,
        ),
        kwargs={
            "clock": runtime.clock,
            "interval_s": runtime.settings.escalation_interval_s,
            "stop": stop,
        },
        name="escalation",
        daemon=True,
    ).start()
    threading.Thread(
        target=run_alerts,
        args=(runtime.settings, runtime.session_factory, alert_rules),
        kwargs={"clock": runtime.clock, "stop": stop},
        name="alerts",
        daemon=True,
    ).start()
    threading.Thread(
        target=run_checkpoints,
        args=(runtime.settings, runtime.session_factory),
        kwargs={"clock": runtime.clock, "stop": stop},
        name="checkpoint",
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
