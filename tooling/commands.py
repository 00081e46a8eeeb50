"""The tooling's commands: ``hub bench``, ``hub chaos``, ``hub demo`` and ``hub sandbox``.

``hub.cli.app`` loads this module only when one of them runs, so the hub's own commands
never import the bench, chaos, rig or demo code.
"""

import typer

from tooling.bench.command import bench
from tooling.chaos.command import chaos
from tooling.demo.command import demo
from tooling.sandbox.command import sandbox

__all__ = ["app"]

app = typer.Typer(pretty_exceptions_show_locals=False)
app.command("bench")(bench)
app.command("chaos")(chaos)
app.command("demo")(demo)
app.command("sandbox")(sandbox)
