"""What the operators' commands share: who acts, the required reason, and one audited
transaction whose refusal becomes a clear exit with the refusal's code."""

import contextlib
import getpass
from collections.abc import Iterator
from pathlib import Path

import typer
from sqlalchemy.orm import Session, sessionmaker

from hub.cli.common import fail, load_settings
from hub.config import Settings
from hub.errors import OperationRefused
from hub.operations import Actor
from hub.store import make_engine, make_session_factory

ReasonOption = typer.Option(..., "--reason", help="Why; kept in the audit log.")


def cli_actor() -> Actor:
    """Who acts from the command line: the operating-system user, as an operator."""
    return Actor(login=f"cli:{getpass.getuser()}", role="operator")


@contextlib.contextmanager
def sessions(
    data_dir: Path | None, *, refused: str = ""
) -> Iterator[tuple[Settings, sessionmaker[Session]]]:
    """Settings and a session factory for commands that commit in steps (a bulk replay's
    chunks); an ``OperationRefused`` exits 1 printing ``refused``, the code and detail."""
    settings = load_settings(data_dir)
    engine = make_engine(settings.effective_database_url)
    try:
        yield settings, make_session_factory(engine)
    except OperationRefused as exc:
        raise fail(f"{refused}{exc.code}: {exc.detail}") from exc
    finally:
        engine.dispose()


@contextlib.contextmanager
def operation(data_dir: Path | None, *, refused: str = "") -> Iterator[tuple[Settings, Session]]:
    """Settings and a session in one transaction; an ``OperationRefused`` rolls it back
    and exits 1 printing ``refused`` (e.g. "nothing replayed: "), the code and detail."""
    with sessions(data_dir, refused=refused) as (settings, factory), factory.begin() as session:
        yield settings, session
