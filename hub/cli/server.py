"""``hub serve`` and ``hub worker``: the long-running processes."""

import signal
import socket
import ssl
import threading
from pathlib import Path
from typing import Any

import typer
import uvicorn

from adapters.registry import ADAPTERS
from hub.alerts import load_alert_rules, run_alerts
from hub.app import create_app
from hub.cli.common import DataDirOption, config_errors, console, fail, load_settings, warn
from hub.config import Settings
from hub.digest import run_digests
from hub.escalation import run_escalation
from hub.observability import workers_alive
from hub.observability.logging import configure_logging
from hub.runtime import HubRuntime, build_runtime, utc_now
from hub.store import make_engine, make_session_factory
from hub.store.migrate import upgrade
from queues import run_worker


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    with_worker: bool = typer.Option(
        True, "--worker/--no-worker", help="Also deliver messages in this process."
    ),
    tls_cert: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="Serve HTTPS with this certificate (PEM)."
    ),
    tls_key: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="The private key of --tls-cert (PEM)."
    ),
    tls_client_ca: Path | None = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        help="Mutual TLS: refuse any client without a certificate from this CA (PEM).",
    ),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Run the HTTP API (and, by default, a delivery worker) — the embedded stack unless
    DATABASE_URL / REDIS_URL are set."""
    tls = _tls_options(tls_cert, tls_key, tls_client_ca)
    settings = load_settings(data_dir)
    configure_logging(settings.log_level, json=settings.log_format == "json")
    with config_errors():
        _prepare(settings)
        runtime = build_runtime(settings)
    if settings.metrics_token is None:
        warn(
            "/metrics refuses every scrape until HUB_METRICS_TOKEN is set "
            "(at least 16 characters, e.g. from `openssl rand -hex 24`)"
        )
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
    scheme = "https" if tls else "http"
    console.print(f"hub listening on {scheme}://{host}:{port} (API docs at /docs)")
    try:
        # uvicorn re-raises the signal that stopped it once it has shut down; under the
        # default SIGTERM action that would end the process before this cleanup runs.
        signal.signal(signal.SIGTERM, lambda _signum, _frame: None)
        # log_config=None: uvicorn's records go through the root handler (JSON) too.
        # proxy_headers=False: uvicorn would believe X-Forwarded-For from any loopback peer;
        # the app believes it only from HUB_TRUSTED_PROXIES (hub.app.build_app).
        uvicorn.run(
            create_app(runtime),
            host=host,
            port=port,
            log_level="warning",
            log_config=None,
            proxy_headers=False,
            **tls,
        )
    finally:
        stop.set()
        if worker_thread is not None:
            worker_thread.join(timeout=30)
        runtime.close()


def _tls_options(cert: Path | None, key: Path | None, client_ca: Path | None) -> dict[str, Any]:
    """uvicorn's TLS arguments; with ``client_ca`` the handshake itself refuses a client
    that has no certificate from that CA (the API key is still required on top)."""
    if (cert is None) != (key is None):
        raise fail("--tls-cert and --tls-key go together")
    if cert is None:
        if client_ca is not None:
            raise fail("--tls-client-ca needs --tls-cert and --tls-key")
        return {}
    options: dict[str, Any] = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    if client_ca is not None:
        options |= {"ssl_ca_certs": str(client_ca), "ssl_cert_reqs": ssl.CERT_REQUIRED}
    return options


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


def _start_escalation(runtime: HubRuntime, stop: threading.Event) -> None:
    """The deadline job, the alert rules (and, with SMTP set, the daily summary) beside the
    delivery worker, until ``stop``.

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
    if runtime.settings.smtp_host is None:
        return
    threading.Thread(
        target=run_digests,
        args=(runtime.settings, runtime.session_factory, runtime.rules, runtime.regions),
        kwargs={"clock": runtime.clock, "stop": stop},
        name="digest",
        daemon=True,
    ).start()


def _prepare(settings: Settings) -> None:
    """Embedded stack: make the data folder and bring the SQLite schema up to date."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.database_url is None:
        engine = make_engine(settings.effective_database_url)
        upgrade(engine)
        engine.dispose()
