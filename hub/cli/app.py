"""The ``hub`` command-line application: sub-commands are registered here."""

import importlib.util

import typer

# typer 0.29 vendors click as typer._click: the Command and Context that TyperGroup takes.
from typer._click import Command, Context
from typer.core import TyperGroup

from hub.cli import (
    cases,
    conformance,
    contract,
    db,
    deliveries,
    dlq,
    evidence,
    gateway,
    log,
    messages,
    partners,
    people,
    pki,
    schemas,
    server,
    stats,
)

#: Commands of the development tooling (``tooling/``). They are loaded only when one of
#: them runs, so ``hub serve`` and ``hub worker`` never import the bench, chaos, rig or demo
#: code, and an image without ``tooling`` still runs the hub.
TOOLING_COMMANDS = ("bench", "chaos", "demo", "sandbox")


class _HubCommands(TyperGroup):
    """The hub's own commands, plus the tooling's where it is installed, imported on use."""

    def list_commands(self, ctx: Context) -> list[str]:
        return [*super().list_commands(ctx), *(TOOLING_COMMANDS if _has_tooling() else ())]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in TOOLING_COMMANDS or not _has_tooling():
            return super().get_command(ctx, cmd_name)
        # Imported here, on use: the hub's own commands never load the tooling.
        from tooling.commands import app as tooling_app

        return typer.main.get_group(tooling_app).get_command(ctx, cmd_name)


def _has_tooling() -> bool:
    return importlib.util.find_spec("tooling") is not None


app = typer.Typer(
    name="hub",
    cls=_HubCommands,
    help="Interagency data-exchange hub for the social support of families with children.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(pki.app, name="pki")
app.add_typer(partners.app, name="partners")
app.add_typer(db.app, name="db")
app.add_typer(schemas.app, name="schemas")
app.add_typer(contract.app, name="contract")
app.add_typer(dlq.app, name="dlq")
app.add_typer(deliveries.app, name="deliveries")
app.add_typer(cases.app, name="cases")
app.add_typer(people.app, name="people")
app.add_typer(gateway.app, name="gateway")
app.command("serve")(server.serve)
app.command("worker")(server.worker)
app.command("sign")(messages.sign)
app.command("send")(messages.send)
app.command("verify")(messages.verify)
app.command("verify-log")(log.verify_log)
app.command("audit")(people.audit)
app.command("evidence")(evidence.evidence)
app.command("stats")(stats.stats)
app.command("conformance")(conformance.conformance)


def main() -> None:
    app()
