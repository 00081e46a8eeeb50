"""``hub dlq``: the dead letters — deliveries that gave up — and sending them again."""

from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table

from hub.cli.common import DataDirOption, console, fail, load_settings
from hub.store import (
    DeliveryNotDead,
    DeliveryNotFound,
    dead_letters,
    make_engine,
    make_session_factory,
    replay_dead,
)

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
    delivery_ids: list[int] = typer.Argument(..., help="Delivery ids from `hub dlq list`."),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Send dead deliveries again; a running worker's sweeper picks them up.

    All or nothing: if one id is unknown or not dead, none is replayed. Receivers
    de-duplicate by MessageId, so a replay has one effect even if it was delivered.
    """
    settings = load_settings(data_dir)
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine).begin() as session:
            for delivery_id in delivery_ids:
                replay_dead(session, delivery_id, now=datetime.now(UTC))
    except (DeliveryNotFound, DeliveryNotDead) as exc:
        raise fail(f"nothing replayed: {exc}") from exc
    finally:
        engine.dispose()
    console.print(
        f"{len(delivery_ids)} deliver(y/ies) pending again; the worker's sweeper sends them "
        f"within {settings.sweep_interval_s:g} s"
    )
