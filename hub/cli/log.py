"""``hub verify-log``: prove the message log has not been altered."""

from pathlib import Path

from hub.cli.common import DataDirOption, console, fail, load_settings
from hub.ingest import verify_chain
from hub.store import make_engine, make_session_factory


def verify_log(data_dir: Path | None = DataDirOption) -> None:
    """Walk the log's hash chain; exit 1 naming the first broken link, if any."""
    settings = load_settings(data_dir)
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine)() as session:
            verdict = verify_chain(session)
    finally:
        engine.dispose()
    if not verdict.intact:
        raise fail(
            f"chain broken at message {verdict.broken_at} after {verdict.checked} intact "
            f"link(s): {verdict.reason}"
        )
    console.print(f"[green]intact[/green]: {verdict.checked} message(s), every link verified")
