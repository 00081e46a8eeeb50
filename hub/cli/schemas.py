"""``hub schemas``: the message catalogue a partner engineer builds against."""

from pathlib import Path

import typer
from rich.table import Table

from hub.cli.common import console
from schemas import diagnose, known_schemas, sensitivity_map

app = typer.Typer(help="Canonical message schemas.", no_args_is_help=True)


@app.command("list")
def list_() -> None:
    """Every (message type, version) the hub accepts, with its personal-data fields."""
    table = Table("type", "version", "personal data (sensitivity classes)")
    for message_type, version in known_schemas():
        classes = sorted(set(sensitivity_map(message_type, version).values()))
        table.add_row(message_type, version, ", ".join(classes) or "—")
    console.print(table)


@app.command()
def check(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A message to check."),
) -> None:
    """Validate a message (envelope or bare payload) and name each error's path and reason.

    Exits 1 when the message is invalid. The signature is not checked: use ``hub verify``.
    """
    issues = diagnose(file.read_bytes())
    if not issues:
        console.print(f"[green]VALID[/green] {file}")
        return
    console.print(f"[red]INVALID[/red] {file}: {len(issues)} error(s)")
    for issue in issues:
        # One line per error, path in full: easy to read and to grep.
        console.print(f"  line {issue.line or '?'}: {issue.path}: {issue.reason}", soft_wrap=True)
    raise typer.Exit(1)
