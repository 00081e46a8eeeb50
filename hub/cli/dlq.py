"""``hub dlq``: the dead letters — deliveries that gave up — and sending them again."""

from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table

from hub.cli.common import DataDirOption, console, fail, load_settings
from hub.cli.operations import ReasonOption, cli_actor, operation, sessions
from hub.operations import replay_dead_letters, replay_filters_detail
from hub.replays import (
    CHUNK_SIZE,
    ReplayCandidate,
    list_replay_batches,
    preview_replay,
    run_replay_batch,
    start_replay_batch,
    stop_replay_batch,
)
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
    reason: str = typer.Option("", "--reason", help="Why; kept in the audit log (required)."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Only list what would be sent (ids, recipient, type)."
    ),
    chunk: int = typer.Option(CHUNK_SIZE, min=1, help="Deliveries re-queued per commit."),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Send dead deliveries again; a running worker's sweeper picks them up.

    Ids are all or nothing: if one is unknown or not dead, none is replayed. A selection
    by --partner runs as a bulk replay in chunks, each committed, under a batch number
    that `hub dlq stop BATCH` stops; what is not yet re-queued then stays dead. Receivers
    de-duplicate by MessageId, so a replay has one effect even if it was delivered.
    """
    if delivery_ids and (partner or message_type or since):
        raise fail("give delivery ids or --partner [--type] [--since], not both")
    if not delivery_ids and partner is None:
        raise fail("give delivery ids, or --partner to replay its dead deliveries")
    start = _parse_since(since) if since is not None else None
    if dry_run:
        with operation(data_dir, refused="nothing to replay: ") as (_, session):
            candidates = preview_replay(
                session,
                ids=delivery_ids or None,
                partner=partner,
                message_type=message_type,
                since=start,
            )
        _print_candidates(candidates)
        return
    actor = cli_actor()
    with sessions(data_dir, refused="nothing replayed: ") as (settings, factory):
        with factory.begin() as session:
            if delivery_ids:
                replayed = replay_dead_letters(
                    session, actor=actor, reason=reason, now=utc_now(), ids=delivery_ids
                )
            else:
                batch = start_replay_batch(
                    session,
                    actor=actor,
                    reason=reason,
                    now=utc_now(),
                    partner=partner,
                    message_type=message_type,
                    since=start,
                )
                console.print(f"bulk replay {batch.id}: stop it with `hub dlq stop {batch.id}`")
        if not delivery_ids:
            replayed = run_replay_batch(factory, batch.id, actor=actor, clock=utc_now, size=chunk)
    console.print(
        f"{len(replayed)} deliver(y/ies) pending again; the worker's sweeper sends them "
        f"within {settings.sweep_interval_s:g} s"
    )


def _print_candidates(candidates: list[ReplayCandidate]) -> None:
    table = Table("delivery", "message", "to", "type")
    for c in candidates:
        table.add_row(str(c.delivery_id), str(c.hub_id), c.recipient, c.message_type)
    console.print(table if candidates else "no dead deliveries match")
    console.print(f"dry run: {len(candidates)} deliver(y/ies) would be sent again; nothing sent")


@app.command()
def stop(
    batch_id: int = typer.Argument(..., help="The bulk replay's number (`hub dlq batches`)."),
    reason: str = ReasonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Stop a running bulk replay: the chunk in progress finishes, the rest stays dead."""
    with operation(data_dir, refused="not stopped: ") as (_, session):
        batch = stop_replay_batch(
            session, batch_id, actor=cli_actor(), reason=reason, now=utc_now()
        )
        replayed = batch.replayed
    console.print(f"bulk replay {batch_id} stopped after {replayed} deliver(y/ies)")


@app.command()
def batches(
    limit: int = typer.Option(20, min=1, help="At most this many, newest first."),
    data_dir: Path | None = DataDirOption,
) -> None:
    """The latest bulk replays: who started them, the selection, progress and state."""
    with operation(data_dir) as (_, session):
        rows = list_replay_batches(session, limit=limit)
        table = Table("batch", "started (UTC)", "by", "selection", "replayed", "state")
        for b in rows:
            selection = replay_filters_detail(b.partner, b.message_type, b.since) or "all"
            state = b.status if b.stopped_by is None else f"{b.status} by {b.stopped_by}"
            started = b.started_at.strftime("%Y-%m-%d %H:%M")
            table.add_row(str(b.id), started, b.started_by, selection, str(b.replayed), state)
    console.print(table if rows else "no bulk replays")


def _parse_since(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise fail(f"--since {text!r} is not an ISO date or time") from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
