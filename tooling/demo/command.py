"""``hub demo``: the scenario `make demo` runs."""

from pathlib import Path

from hub.cli.common import DataDirOption, console, fail, load_settings
from tooling.demo import run_demo


def demo(data_dir: Path | None = DataDirOption) -> None:
    """Run the referral scenario end to end on the embedded stack; exit 1 if a check fails."""
    settings = load_settings(data_dir)
    if settings.database_url or settings.broker_url:
        raise fail("the demo runs the embedded stack: unset DATABASE_URL and REDIS_URL")
    if not run_demo(settings, console):
        raise fail("the demo did not end as expected; see the checks above and the logs")
    console.print("[bold green]Демонстрация завершена: все проверки пройдены.[/bold green]")
