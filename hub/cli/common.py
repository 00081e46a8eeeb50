"""What the commands share: settings from the environment and a console to print on."""

from pathlib import Path

import typer
from rich.console import Console

from hub.config import Settings

console = Console()
errors = Console(stderr=True)


def load_settings(data_dir: Path | None = None) -> Settings:
    """Settings from the environment; ``--data-dir`` overrides ``HUB_DATA_DIR``."""
    if data_dir is None:
        return Settings()
    return Settings(data_dir=data_dir)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` on stderr and return the Exit to raise."""
    errors.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


DataDirOption = typer.Option(
    None, "--data-dir", envvar="HUB_DATA_DIR", help="Where the hub keeps its data (./var)."
)
CryptoOption = typer.Option(
    "rsa",
    "--crypto",
    help="rsa (an ECDSA CA issuing RSA keys) or gost (GOST R 34.10-2012 throughout, "
    "needs Debian's libengine-gost-openssl).",
)
