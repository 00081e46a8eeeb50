"""``hub contract export DIR``: the published contract as a folder, to hand to a partner.

The same files as ``GET /contract/`` of a running hub; nothing here needs the hub's data
folder, database, broker or PKI (the limits come from the environment's settings).
"""

from pathlib import Path

import typer

from hub.app import build_app
from hub.cli.common import console, load_settings
from hub.contract import contract_files

app = typer.Typer(help="The published contract partners build against.", no_args_is_help=True)


@app.command()
def export(
    directory: Path = typer.Argument(..., file_okay=False, help="Folder to write into."),
) -> None:
    """Write the contract: OpenAPI, XSDs, the commission's WSDL, fresh examples, the
    signature profile, limits.json and a README."""
    settings = load_settings()
    written = contract_files(settings, build_app(settings).openapi())
    for file in written:
        target = directory / file.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file.content)
    console.print(f"{len(written)} files of the contract in {directory}", soft_wrap=True)
