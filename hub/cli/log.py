"""``hub verify-log``: prove the message log has not been altered, and sign its head."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from hub.cli.common import DataDirOption, console, fail, load_settings
from hub.ingest import (
    check_log,
    checkpoint_folder,
    checkpoint_verifier,
    hub_signer,
    make_checkpoint,
    open_pki,
)
from hub.store import make_engine, make_session_factory


def verify_log(
    data_dir: Path | None = DataDirOption,
    # Annotated, so that a direct call (``hub restore`` runs ``verify_log(data_dir)``) gets
    # a real False rather than typer's OptionInfo, which is truthy.
    checkpoint: Annotated[
        bool,
        typer.Option("--checkpoint", help="Then sign the chain head as a new checkpoint."),
    ] = False,
) -> None:
    """Walk the log's hash chain against its signed checkpoints; exit 1 naming the first
    broken link or the checkpoint that does not hold, if any."""
    settings = load_settings(data_dir)
    try:
        pki = open_pki(settings)  # the checkpoints are checked against its CA
    except FileNotFoundError as exc:
        raise fail(str(exc), code=2) from exc
    folder = checkpoint_folder(settings.data_dir)
    engine = make_engine(settings.effective_database_url)
    try:
        session_factory = make_session_factory(engine)
        with session_factory() as session:
            verdict = check_log(session, checkpoint_verifier(pki.root), folder)
        if not verdict.intact:
            where = "" if verdict.broken_at is None else f" at message {verdict.broken_at}"
            raise fail(
                f"chain broken{where} after {verdict.checked} intact link(s): {verdict.reason}"
            )
        console.print(f"[green]intact[/green]: {verdict.checked} message(s), every link verified")
        if checkpoint:
            made = make_checkpoint(
                session_factory, hub_signer(settings, pki), folder, now=datetime.now(UTC)
            )
            assert made is not None  # only a periodic slot can be taken already
            console.print(f"checkpoint signed: {made.length} link(s), head {made.head_hash}")
    finally:
        engine.dispose()
