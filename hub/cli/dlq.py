"""``hub dlq``: the dead letters — deliveries that gave up — and sending them again."""

from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table

from hub.cli.common import DataDirOption, console, fail, load_settings
from hub.cli.operations import ReasonOption, cli_actor, operation
from hub.operations import replay_dead_letters
from hub.runtime import utc_now
from hub.store import dead_letters, make_engine, make_session_factory

app = typer.Typer(help="Dead letters.", no_args_is_help=True)


@app.command("list")
def list_(
    partner: str | None = typer.Option(None, help="Only deliveries to this partner."),
    limit: int = typer.Option(100, min=1, help="At most this many rows."),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Deliveries that exhausted their retries or were refused by the partner."""
    settings = load_settings(data_dir)
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine)() as session:
            rows = dead_letters(session, recipient=partner, limit=limit)
            table = Table("delivery", "to", "message", "type", "attempts", "last error")
            for row in rows:
                table.add_row(
                    str(row.id),
                    row.recipient,
                    row.message.message_id,
                    row.message.message_type,
                    str(row.attempts),
                    row.last_error or "—",
                )
    finally:
        engine.dispose()
    console.print(table if rows else "no dead letters")


@app.command()
def replay(
    delivery_ids: list[int] | None = typer.Argument(
        None, help="Delivery ids from `hub dlq list`; or select them with --partner."
    ),
    partner: str | None = typer.Option(None, help="Every dead delivery to this partner…"),
    message_type: str | None = typer.Option(None, "--type", help="…of this message type…"),
    since: str | None = typer.Option(None, help="…created at or after this ISO time (UTC)."),
    reason: str = ReasonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Send dead deliveries again; a running worker's sweeper picks them up.

    All or nothing: if one id is unknown or not dead, none is replayed. Receivers
    de-duplicate by MessageId, so a replay has one effect even if it was delivered.
    """
    if delivery_ids and (partner or message_type or since):
        raise fail("give delivery ids or --partner [--type] [--since], not both")
    if not delivery_ids and partner is None:
        raise fail("give delivery ids, or --partner to replay its dead deliveries")
    start = _parse_since(since) if since is not None else None
    with operation(data_dir, refused="nothing replayed: ") as (settings, session):
        replayed = replay_dead_letters(
            session,
            actor=cli_actor(),
            reason=reason,
            now=utc_now(),
            ids=delivery_ids or None,
            partner=partner,
            message_type=message_type,
            since=start,
        )
    console.print(
        f"{len(replayed)} deliver(y/ies) pending again; the worker's sweeper sends them "
        f"within {settings.sweep_interval_s:g} s"
    )


def _parse_since(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise fail(f"--since {text!r} is not an ISO date or time") from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
