"""The tooling's commands: ``hub bench``, ``hub chaos`` and ``hub demo``.

``hub.cli.app`` loads this module only when one of them runs, so the hub's own commands
never import the bench, chaos, rig or demo code.
"""

import typer

from tooling.cli.bench import bench
from tooling.cli.chaos import chaos
from tooling.cli.demo import demo

__all__ = ["app"]

app = typer.Typer(pretty_exceptions_show_locals=False)
app.command("bench")(bench)
app.command("chaos")(chaos)
app.command("demo")(demo)
