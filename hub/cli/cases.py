"""``hub cases rebuild|escalate|attention``: maintain the case tracker from the command line."""

from pathlib import Path

import typer
from rich.table import Table

from hub.access import read_regions_attention
from hub.cases import CaseProjector, rebuild_cases
from hub.cli.common import DataDirOption, console, fail, load_settings
from hub.escalation import escalate_overdue_actions, escalate_unacknowledged_signals
from hub.regions import load_regions
from hub.routing import load_rules
from hub.runtime import build_runtime, utc_now
from hub.store import make_engine, make_session_factory

app = typer.Typer(
    help="The case tracker: rebuild it from the log, run the deadline job, list what needs "
    "attention."
)


@app.command("rebuild")
def rebuild(data_dir: Path | None = DataDirOption) -> None:
    """Drop every case and replay the message log into the case tracker, in one transaction."""
    settings = load_settings(data_dir)
    rules = load_rules(settings.routing_rules)
    projector = CaseProjector(load_regions(settings.regions_dir, rules))
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine).begin() as session:
            replayed = rebuild_cases(session, projector)
    finally:
        engine.dispose()
    console.print(f"[green]rebuilt[/green]: {replayed} message(s) replayed into the case tracker")


@app.command("escalate")
def escalate(data_dir: Path | None = DataDirOption) -> None:
    """One pass of the deadline job now (the worker runs it every minute)."""
    settings = load_settings(data_dir)
    runtime = build_runtime(settings, with_broker=False)
    now = utc_now()
    try:
        sent = escalate_overdue_actions(
            runtime.ingestor, runtime.session_factory, runtime.regions, now=now
        )
        reminded = escalate_unacknowledged_signals(
            runtime.ingestor, runtime.session_factory, runtime.regions, now=now
        )
    finally:
        runtime.close()
    console.print(f"overdue notices sent: {sent} (the worker's sweeper delivers them)")
    console.print(f"unacknowledged urgent signal reminders sent: {reminded}")


@app.command("attention")
def attention(
    region: str | None = typer.Option(None, "--region", help="Only this region, e.g. kaluga."),
    data_dir: Path | None = DataDirOption,
) -> None:
    """What needs attention now, most urgent first (требует внимания), without names."""
    settings = load_settings(data_dir)
    runtime = build_runtime(settings, with_broker=False)
    try:
        if region is not None and region not in runtime.regions.regions:
            raise fail(
                f"no region {region!r}; regions: {', '.join(sorted(runtime.regions.regions))}"
            )
        codes = [region] if region is not None else sorted(runtime.regions.regions)
        items = read_regions_attention(runtime, codes, login="cli", channel="cli", client=None)
    finally:
        runtime.close()
    if not items:
        console.print("Ничего не требует внимания.")
        return
    # The text carries each due date as the region's day (its time for hour rules).
    table = Table("дело", "регион", "что")
    for item in items:
        table.add_row(item.case_ref or "—", item.region or "—", item.text)
    console.print(table)
