"""``hub bench``: measured speed of the whole hub beside the bare crypto-and-XML pipeline."""

import time
from pathlib import Path

import typer

from hub.cli.common import console, errors, fail
from signing import Crypto, GostUnavailable
from tooling.bench import BenchOptions, BenchRefused, Stack, quick_options, run_bench
from tooling.rig import exit_on_sigterm

_DEFAULTS = BenchOptions()


def bench(
    quick: bool = typer.Option(
        False,
        "--quick",
        help="Smaller counts and seeds (500 messages a figure, a 1,000 backlog, a 5,000 log): "
        "two to three minutes on both stacks.",
    ),
    messages: int = typer.Option(
        _DEFAULTS.messages, "--messages", "-n", help="Messages posted per throughput figure."
    ),
    concurrency: int = typer.Option(
        _DEFAULTS.concurrency, "--concurrency", "-c", help="Clients posting at the same time."
    ),
    database: list[str] = typer.Option(
        list(_DEFAULTS.stacks),
        "--database",
        help="Stacks to measure, in order: sqlite (embedded) and/or postgresql.",
    ),
    workers: int = typer.Option(_DEFAULTS.workers, "--workers", help="Worker processes."),
    worker_threads: int = typer.Option(
        _DEFAULTS.worker_threads, "--worker-threads", help="Threads per worker process."
    ),
    apis: int = typer.Option(_DEFAULTS.apis, "--apis", help="API processes."),
    backlog: int = typer.Option(
        _DEFAULTS.backlog, "--backlog", help="Routine messages waiting while urgent ones go."
    ),
    urgent: int = typer.Option(
        _DEFAULTS.urgent, "--urgent", help="Urgent messages at least (one per 100 ms)."
    ),
    seed_log: int = typer.Option(
        _DEFAULTS.seed_log,
        "--seed-log",
        help="Messages in the log for the scale figure (the first figure has 1 % of it).",
    ),
    bare_processes: int = typer.Option(
        _DEFAULTS.bare_processes, "--bare-processes", help="Processes of the bare pipeline."
    ),
    crypto: Crypto = typer.Option(
        _DEFAULTS.crypto,
        "--crypto",
        help="rsa, or gost: GOST R 34.10-2012 keys for the hub and the partners, the hub "
        "accepting gost256 only (needs Debian's libengine-gost-openssl).",
    ),
    data_dir: Path | None = typer.Option(
        None,
        "--data-dir",
        help="Keep the run's data here (an empty folder); default: a temporary one, removed.",
    ),
    json_file: Path | None = typer.Option(None, "--json", help="Write the figures here."),
) -> None:
    """Throughput, urgent latency under backlog, scale and memory of the hub on this machine.

    Starts the hub as real processes in a fresh data folder (never ./var unless
    --data-dir says so), and PostgreSQL in a database of its own, dropped afterwards.
    """
    options = BenchOptions(
        messages=messages,
        concurrency=concurrency,
        stacks=tuple(_stack(name) for name in database),
        workers=workers,
        worker_threads=worker_threads,
        apis=apis,
        backlog=backlog,
        urgent=urgent,
        seed_log=seed_log,
        bare_processes=bare_processes,
        crypto=crypto,
        data_dir=data_dir,
    )
    if quick:
        options = quick_options(options)
    started = time.monotonic()

    def progress(line: str) -> None:
        errors.print(f"[dim]{time.monotonic() - started:6.1f} s  {line}[/dim]")

    exit_on_sigterm()
    try:
        figures = run_bench(options, progress=progress)
    except (BenchRefused, GostUnavailable) as refused:
        raise fail(str(refused), code=2) from refused
    console.print(figures.table())
    if json_file is not None:
        figures.write_json(json_file)
        console.print(f"figures written to {json_file}")


def _stack(name: str) -> Stack:
    if name == "sqlite":
        return "sqlite"
    if name == "postgresql":
        return "postgresql"
    raise fail(f"--database {name!r}: use sqlite or postgresql", code=2)
