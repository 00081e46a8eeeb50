"""``hub sandbox``: the hub, the partner simulators and a bundle per partner, kept up."""

import signal
import threading
from pathlib import Path
from types import FrameType

import typer

from hub.cli.common import CryptoOption, console, fail, load_settings
from signing import Crypto
from tooling.sandbox.run import run_sandbox


def sandbox(
    data_dir: Path = typer.Option(
        Path("sandbox"), "--data-dir", help="The sandbox's folder: database, PKI, bundles, logs."
    ),
    port: int = typer.Option(8000, "--port", help="The hub's port (0: any free one)."),
    without: list[str] = typer.Option(
        [], "--without", help="A partner whose seat your own system takes (repeatable)."
    ),
    crypto: Crypto = CryptoOption,
) -> None:
    """A partner test environment: the hub and the partner simulators on loopback, with a
    bundle for each partner under DATA_DIR/partners/<code>; runs until Ctrl-C."""
    settings = load_settings(data_dir)
    if settings.database_url or settings.broker_url:
        raise fail("the sandbox runs the embedded stack: unset DATABASE_URL and REDIS_URL")
    stop = threading.Event()

    def on_terminate(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_terminate)
    signal.signal(signal.SIGINT, on_terminate)
    try:
        run_sandbox(settings, console, port=port, without=without, crypto=crypto, stop=stop)
    # FileExistsError: the folder's PKI is of the other crypto; GostUnavailable is a
    # RuntimeError.
    except (ValueError, RuntimeError, TimeoutError, FileExistsError) as exc:
        raise fail(str(exc)) from exc
