"""What the commands share: settings from the environment and a console to print on."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from hub.config import Settings
from hub.routing import ConfigInvalid

console = Console()
errors = Console(stderr=True)


def load_settings(data_dir: Path | None = None) -> Settings:
    """Settings from the environment; ``--data-dir`` overrides ``HUB_DATA_DIR``.

    A wrong value ends the command with one line per mistake, naming the variable.
    """
    try:
        return Settings() if data_dir is None else Settings(data_dir=data_dir)
    except ValidationError as exc:
        for error in exc.errors():
            where = "".join(f"HUB_{part}".upper() for part in error["loc"][:1]) or "settings"
            _say(f"environment: {where}: {error['msg']}")
        raise typer.Exit(1) from None


@contextmanager
def config_errors() -> Iterator[None]:
    """End the command with ``file:line: reason`` (no traceback) on a wrong config file."""
    try:
        yield
    except ConfigInvalid as exc:
        _say(str(exc))
        raise typer.Exit(1) from None


def warn(message: str) -> None:
    """Print ``message`` on stderr as a warning, on one line."""
    errors.print(f"[yellow]warning:[/yellow] {escape(message)}", soft_wrap=True)


def _say(line: str) -> None:
    """An error line as is: no markup read into it, never wrapped."""
    errors.print(f"[red]error:[/red] {escape(line)}", soft_wrap=True)


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
