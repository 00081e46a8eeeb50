"""``hub deliveries``: steer single deliveries (cancel one, with a reason)."""

import getpass
from pathlib import Path

import typer

from hub.cli.common import DataDirOption, console, fail, load_settings
from hub.errors import OperationRefused
from hub.operations import Actor, cancel_delivery
from hub.runtime import utc_now
from hub.store import make_engine, make_session_factory

app = typer.Typer(help="Deliveries of messages to partners.", no_args_is_help=True)

ReasonOption = typer.Option(..., "--reason", help="Why; kept in the audit log.")


def cli_actor() -> Actor:
    """Who acts from the command line: the operating-system user, as an operator."""
    return Actor(login=f"cli:{getpass.getuser()}", role="operator")


def refused(exc: OperationRefused) -> typer.Exit:
    """Print the refusal's code and detail; the Exit (status 1) to raise."""
    return fail(f"{exc.code}: {exc.detail}")


@app.command()
def cancel(
    delivery_id: int = typer.Argument(..., help="Delivery id (`hub dlq list`, the pages)."),
    reason: str = ReasonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Give up on one delivery for good; it is never sent (again)."""
    settings = load_settings(data_dir)
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine).begin() as session:
            cancel_delivery(session, delivery_id, actor=cli_actor(), reason=reason, now=utc_now())
    except OperationRefused as exc:
        raise refused(exc) from exc
    finally:
        engine.dispose()
    console.print(f"delivery {delivery_id} cancelled")
