"""``hub deliveries``: steer single deliveries (cancel one, with a reason)."""

from pathlib import Path

import typer

from hub.cli.common import DataDirOption, console
from hub.cli.operations import ReasonOption, cli_actor, operation
from hub.operations import cancel_delivery
from hub.runtime import utc_now

app = typer.Typer(help="Deliveries of messages to partners.", no_args_is_help=True)


@app.command()
def cancel(
    delivery_id: int = typer.Argument(..., help="Delivery id (`hub dlq list`, the pages)."),
    reason: str = ReasonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Give up on one delivery for good; it is never sent (again)."""
    with operation(data_dir) as (_, session):
        cancel_delivery(session, delivery_id, actor=cli_actor(), reason=reason, now=utc_now())
    console.print(f"delivery {delivery_id} cancelled")
