"""``hub serve``: the HTTP API, with a delivery worker in the same process by default."""

import signal
import ssl
import threading
from pathlib import Path
from typing import Any

import typer
import uvicorn

from adapters.registry import ADAPTERS
from hub.app import create_app
from hub.cli.common import DataDirOption, config_errors, console, fail, load_settings, warn
from hub.cli.worker import prepare, start_escalation
from hub.observability.logging import configure_logging
from hub.runtime import build_runtime, utc_now
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
        prepare(settings)
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
        start_escalation(runtime, stop)
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
