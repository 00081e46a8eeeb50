"""``hub demo``: the scenario `make demo` runs."""

from pathlib import Path

from hub.cli.common import CryptoOption, DataDirOption, console, fail, load_settings
from signing import Crypto, GostUnavailable
from tooling.demo import run_demo
from tooling.rig import exit_on_sigterm


def demo(data_dir: Path | None = DataDirOption, crypto: Crypto = CryptoOption) -> None:
    """Run the referral scenario end to end on the embedded stack, with ``--crypto`` keys for
    the hub and every partner; exit 1 if a check fails."""
    settings = load_settings(data_dir)
    if settings.database_url or settings.broker_url:
        raise fail("the demo runs the embedded stack: unset DATABASE_URL and REDIS_URL")
    exit_on_sigterm()
    try:
        passed = run_demo(settings, console, crypto=crypto)
    except FileExistsError as exc:
        raise fail(f"{exc} (e.g. --data-dir var-{crypto})") from exc
    except GostUnavailable as exc:
        raise fail(str(exc)) from exc
    if not passed:
        raise fail("the demo did not end as expected; see the checks above and the logs")
    console.print("[bold green]Демонстрация завершена: все проверки пройдены.[/bold green]")
