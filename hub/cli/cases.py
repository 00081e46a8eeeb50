"""``hub cases rebuild|escalate|assign|attention``: keep the case tracker from the command line."""

from pathlib import Path

import typer
from rich.table import Table

from hub.access import assign_case_curator, read_regions_attention
from hub.archive import ArchiveShelf
from hub.cases import CaseNotVisible, CaseProjector, CuratorNotAssignable, Role, rebuild_cases
from hub.cli.common import DataDirOption, console, fail, load_settings
from hub.errors import BodyArchived
from hub.escalation import (
    escalate_overdue_actions,
    escalate_unacknowledged_signals,
    notify_late_deliveries,
)
from hub.people import find_person, viewer_for
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
    """Drop every case and replay the message log into the case tracker, in one transaction.

    Archived bodies are read from HUB_ARCHIVE_DIR; if one cannot be, nothing changes.
    """
    settings = load_settings(data_dir)
    rules = load_rules(settings.routing_rules)
    projector = CaseProjector(load_regions(settings.regions_dir, rules))
    shelf = ArchiveShelf.from_settings(settings)
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine).begin() as session, shelf.reading() as bodies:
            replayed = rebuild_cases(session, projector, bodies=bodies)
    except BodyArchived as exc:
        raise fail(f"message {exc.hub_id}: {exc.reason}; nothing was changed") from exc
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
        told = notify_late_deliveries(
            runtime.ingestor,
            runtime.session_factory,
            runtime.rules.delivery_deadlines,
            now=now,
        )
    finally:
        runtime.close()
    console.print(f"overdue notices sent: {sent} (the worker's sweeper delivers them)")
    console.print(f"unacknowledged urgent signal reminders sent: {reminded}")
    console.print(f"non-delivery notices sent: {told}")


#: What each refusal of an assignment means, for the person at the terminal.
_NOT_ASSIGNABLE = {
    "unknown_login": "no account has this --curator login",
    "not_a_curator": "the --curator account is not a curator",
    "inactive": "the --curator account is disabled",
    "other_region": "the curator works in another region than the case",
    "no_staff_id": "the curator's account has no staff id (hub people add … --staff-id)",
    "already_curator": "this curator already curates the case",
}


@app.command("assign")
def assign(
    case_ref: str = typer.Argument(..., help="The case reference, e.g. KAM-2026-000123."),
    curator: str = typer.Option(..., "--curator", help="Login of the curator to assign."),
    by: str = typer.Option(
        ..., "--by", help="Login of the region's supervisor the assignment is made for."
    ),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Make a curator the case's curator, audited as the supervisor ``--by`` (назначить куратора).

    It holds until the social centre's system names another curator in a later message.
    """
    settings = load_settings(data_dir)
    rules = load_rules(settings.routing_rules)
    engine = make_engine(settings.effective_database_url)
    sessions = make_session_factory(engine)
    try:
        with sessions() as session:
            supervisor = find_person(session, by)
            viewer = None if supervisor is None else viewer_for(supervisor, rules)
        if viewer is None or viewer.role is not Role.SUPERVISOR:
            raise fail(f"{by!r} is not a supervisor's login")
        done = assign_case_curator(
            sessions, viewer, case_ref, curator, now=utc_now(), client="cli", channel="cli"
        )
    except CaseNotVisible as exc:
        raise fail(f"no case {case_ref!r} in the supervisor's region") from exc
    except CuratorNotAssignable as exc:
        raise fail(_NOT_ASSIGNABLE[exc.reason]) from exc
    finally:
        engine.dispose()
    console.print(
        f"case [bold]{case_ref}[/bold]: curator {done.from_staff_id or '—'} → {done.to_staff_id}"
    )


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
