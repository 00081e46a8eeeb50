"""``hub pki``: the development PKI (CA, hub key, partner certificates)."""

from pathlib import Path

import typer

from hub.cli.common import DataDirOption, console, load_settings
from signing import DevPki

app = typer.Typer(help="Development PKI.", no_args_is_help=True)


@app.command()
def init(data_dir: Path | None = DataDirOption) -> None:
    """Create the CA, the hub's signing key and an empty CRL (existing keys are kept)."""
    settings = load_settings(data_dir)
    pki = DevPki(settings.pki_dir)
    pki.init()
    console.print(f"PKI ready under {settings.pki_dir}")
