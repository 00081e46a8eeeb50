"""The ``hub`` command-line application: sub-commands are registered here."""

import importlib
import importlib.util

import typer

# typer 0.29 vendors click as typer._click: the Command and Context that TyperGroup takes.
from typer._click import Command, Context
from typer.core import TyperGroup

#: The hub's own commands in the order ``hub --help`` lists them: each name, and the module
#: of ``hub.cli`` and its attribute that define it (a ``typer.Typer`` for a group of
#: commands, else a function). A module is imported only when its command runs: a process
#: pays for what it uses (``hub gateway run`` loads no HTTP app, database or case
#: projection), and the suite starts hundreds of them. A command registered on ``app``
#: itself still works, listed after these, but is imported by every command.
HUB_COMMANDS = {
    "serve": ("server", "serve"),
    "worker": ("worker", "worker"),
    "sign": ("messages", "sign"),
    "send": ("messages", "send"),
    "verify": ("messages", "verify"),
    "verify-log": ("log", "verify_log"),
    "audit": ("people", "audit"),
    "evidence": ("evidence", "evidence"),
    "archive": ("archive", "app"),
    "backup": ("backup", "backup"),
    "restore": ("backup", "restore"),
    "stats": ("stats", "stats"),
    "conformance": ("conformance", "conformance"),
    "pki": ("pki", "app"),
    "partners": ("partners", "app"),
    "db": ("db", "app"),
    "schemas": ("schemas", "app"),
    "contract": ("contract", "app"),
    "dlq": ("dlq", "app"),
    "alerts": ("alerts", "app"),
    "deliveries": ("deliveries", "app"),
    "cases": ("cases", "app"),
    "people": ("people", "app"),
    "gateway": ("gateway", "app"),
}
#: Commands of the development tooling (``tooling/``). They are loaded only when one of
#: them runs, so ``hub serve`` and ``hub worker`` never import the bench, chaos, rig or demo
#: code, and an image without ``tooling`` still runs the hub.
TOOLING_COMMANDS = ("bench", "chaos", "demo", "sandbox")


class _HubCommands(TyperGroup):
    """The hub's own commands, plus the tooling's where it is installed, imported on use."""

    def list_commands(self, ctx: Context) -> list[str]:
        listed = [*HUB_COMMANDS, *super().list_commands(ctx)]
        return [*listed, *(TOOLING_COMMANDS if _has_tooling() else ())]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name in HUB_COMMANDS:
            return _hub_command(ctx, cmd_name)
        if cmd_name not in TOOLING_COMMANDS or not _has_tooling():
            return super().get_command(ctx, cmd_name)
        # Imported here, on use: the hub's own commands never load the tooling.
        from tooling.commands import app as tooling_app

        return typer.main.get_group(tooling_app).get_command(ctx, cmd_name)


def _hub_command(ctx: Context, name: str) -> Command | None:
    """``name`` of ``HUB_COMMANDS``, its module imported now."""
    module, attribute = HUB_COMMANDS[name]
    defined = getattr(importlib.import_module(f"hub.cli.{module}"), attribute)
    one = typer.Typer()
    if isinstance(defined, typer.Typer):
        one.add_typer(defined, name=name)
    else:
        one.command(name)(defined)
    return typer.main.get_group(one).get_command(ctx, name)


def _has_tooling() -> bool:
    return importlib.util.find_spec("tooling") is not None


app = typer.Typer(
    name="hub",
    cls=_HubCommands,
    help="Interagency data-exchange hub for the social support of families with children.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _no_options() -> None:
    # The commands are listed by _HubCommands, not registered: typer builds a group only
    # for an app with a callback (or commands of its own).
    pass


def main() -> None:
    app()
