"""``hub chaos``: a mixed load while faults strike at random, then the checker's figures."""

from collections import Counter
from pathlib import Path

import typer
from rich.table import Table

from hub.cli.common import CryptoOption, console, fail
from signing import Crypto
from tooling.chaos import FAULTS, ChaosOptions, ChaosReport, Load, run_chaos
from tooling.rig import exit_on_sigterm

#: The figures in the order printed, with what each means.
_FIGURES = {
    "sent": "messages sent (good and tampered)",
    "accepted": "in the hub's message log",
    "rejected": "refused with a problem code",
    "unanswered": "no answer before the client gave up",
    "expected_deliveries": "push deliveries of accepted messages",
    "delivered": "distinct (recipient, message) applied by the receivers",
    "duplicate_arrivals": "arrivals beyond the first (at-least-once: allowed)",
    "duplicate_effects": "anything applied twice — must be 0",
    "lost": "accepted, neither received nor dead — must be 0",
    "extra": "received, never accepted — must be 0",
    "dead": "dead letters (retries exhausted)",
    "dead_early": "dead before retries ran out — must be 0",
    "replayed": "dead letters replayed",
    "dead_not_replayable": "replayed and still not delivered — must be 0",
    "double_claims": "one delivery worked on twice at once — must be 0",
    "interrupted_claims": "claims cut off by a killed worker (re-sent after the lease)",
    "bad_accepted": "tampered messages accepted — must be 0",
    "good_rejected": "good messages refused — must be 0",
}

_FAULT_HELP = f"Only these faults (repeatable): {', '.join(FAULTS)}."


def chaos(
    messages: int = typer.Option(..., "--messages", help="How many messages to send."),
    apis: int = typer.Option(2, help="API processes (`hub serve --no-worker`)."),
    workers: int = typer.Option(2, help="Worker processes (`hub worker`)."),
    database_url: str | None = typer.Option(
        None, help="A PostgreSQL the run may fill (default: SQLite in the data folder)."
    ),
    broker_url: str | None = typer.Option(
        None, help="redis:// or amqp:// broker (default: a private Redis, which faults restart)."
    ),
    private_postgres: bool = typer.Option(
        False, help="Start a private PostgreSQL cluster and stop/crash it among the faults."
    ),
    seed: int = typer.Option(0, help="Seed of the random choices (faults, tampered messages)."),
    rate: float = typer.Option(50.0, help="Messages a second at most (0: no limit)."),
    concurrency: int = typer.Option(8, help="Sends in flight at once."),
    bad_share: float = typer.Option(0.1, help="Share of messages tampered after signing."),
    fault: list[str] | None = typer.Option(None, help=_FAULT_HELP),
    data_dir: Path | None = typer.Option(
        None, help="Where the run keeps its data and logs (default: a fresh temporary folder)."
    ),
    json_file: Path | None = typer.Option(None, "--json", help="Also write the report as JSON."),
    crypto: Crypto = CryptoOption,
) -> None:
    """Send a mixed load while injecting faults at random (kill -9 workers and APIs, restart
    and flush Redis, failing, slow and crashing partners, a stopped PostgreSQL), then check:
    exit 1 if anything was lost, extra, applied twice, or another promise broke."""
    try:
        load = Load(messages, bad_share=bad_share, concurrency=concurrency, rate_per_s=rate)
        options = ChaosOptions(
            load=load,
            apis=apis,
            workers=workers,
            database_url=database_url,
            broker_url=broker_url,
            private_postgres=private_postgres,
            seed=seed,
            data_dir=data_dir,
            faults=fault or None,
            crypto=crypto,
        )
    except ValueError as exc:
        raise fail(str(exc), code=2) from exc
    exit_on_sigterm()
    report = run_chaos(options, progress=lambda text: console.print(f"[cyan]▶[/cyan] {text}"))
    if json_file is not None:
        json_file.write_text(report.to_json(), encoding="utf-8")
    _print(report)
    violations = report.figures.violations()
    if violations:
        raise fail("promises broken: " + ", ".join(violations))


def _print(report: ChaosReport) -> None:
    figures = report.figures
    must_be_zero = {v.split("=")[0] for v in figures.violations()}
    table = Table("figure", "value", "meaning", title="hub chaos")
    for name, meaning in _FIGURES.items():
        value = str(getattr(figures, name))
        table.add_row(name, f"[red]{value}[/red]" if name in must_be_zero else value, meaning)
    console.print(table)
    faults = Counter(event.name for event in report.faults)
    console.print(
        "faults: " + (", ".join(f"{name} ×{n}" for name, n in sorted(faults.items())) or "none")
    )
    console.print(
        f"load {report.load_s:.1f} s, settled in {figures.settle_s:.1f} s "
        f"({'yes' if figures.settled else '[red]no[/red]'}), total {report.total_s:.1f} s; "
        f"rejections: {figures.rejected_codes or 'none'}; logs in {report.data_dir / 'logs'}"
    )
    if figures.unsettled:
        console.print(f"[red]not final at the deadline:[/red] {figures.unsettled}")
    for row_id, history in figures.dead_early_rows.items():
        console.print(f"[red]dead before its retries ran out:[/red] delivery {row_id}, {history}")
