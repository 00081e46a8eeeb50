"""``hub alerts``: the incidents the alert rules raised, acknowledging one, evaluating now."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from hub.alerts import check_alerts, load_alert_rules
from hub.cli.common import DataDirOption, console, fail, load_settings
from hub.cli.operations import cli_actor
from hub.config import Settings
from hub.routing import ConfigInvalid
from hub.runtime import utc_now
from hub.store import (
    AlertIncident,
    IncidentNotFound,
    acknowledge_incident,
    list_incidents,
    make_engine,
    make_session_factory,
)

app = typer.Typer(help="Alerts: incidents raised by the alert rules.", no_args_is_help=True)


@app.command("list")
def list_(
    all_: bool = typer.Option(False, "--all", help="Resolved incidents too, newest first."),
    limit: int = typer.Option(100, min=1, help="At most this many incidents."),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Open incidents (with --all, resolved ones too): start, resolution, repeats, who took it."""
    with _sessions(data_dir) as (_settings, sessions), sessions() as session:
        incidents = list_incidents(session, include_resolved=all_, limit=limit)
        table = Table("id", "rule", "subject", "started", "resolved", "repeats", "ack", "detail")
        for incident in incidents:
            table.add_row(
                str(incident.id),
                incident.rule,
                incident.subject,
                _time(incident.started_at),
                _time(incident.resolved_at),
                str(incident.repeats),
                _ack(incident),
                incident.detail,
            )
    console.print(table if incidents else "no alerts" if all_ else "no open alerts")


@app.command()
def ack(
    incident_id: int = typer.Argument(help="The incident's id from `hub alerts list`."),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Acknowledge an incident: you took it (a second acknowledgement keeps the first)."""
    with _sessions(data_dir) as (_settings, sessions):
        try:
            with sessions.begin() as session:
                incident = acknowledge_incident(
                    session, incident_id, by=cli_actor().login, now=utc_now()
                )
                acked = _ack(incident)
        except IncidentNotFound as exc:
            raise fail(str(exc)) from exc
    console.print(f"incident {incident_id} acknowledged: {acked}")


@app.command()
def check(data_dir: Path | None = DataDirOption) -> None:
    """Evaluate the alert rules now, update incidents and send the notices due."""
    with _sessions(data_dir) as (settings, sessions):
        try:
            rules = load_alert_rules(settings.alert_rules)
        except ConfigInvalid as exc:
            raise fail(str(exc)) from exc
        result = check_alerts(settings, sessions, rules, now=utc_now())
    console.print(
        f"{len(rules)} rules evaluated: {len(result.opened)} opened, "
        f"{len(result.resolved)} resolved, {result.sent} notices sent"
    )


@contextmanager
def _sessions(data_dir: Path | None) -> Iterator[tuple[Settings, sessionmaker[Session]]]:
    settings = load_settings(data_dir)
    engine = make_engine(settings.effective_database_url)
    try:
        yield settings, make_session_factory(engine)
    finally:
        engine.dispose()


def _time(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else "—"


def _ack(incident: AlertIncident) -> str:
    if incident.acked_at is None:
        return "—"
    return f"{incident.acked_by} {_time(incident.acked_at)}"
