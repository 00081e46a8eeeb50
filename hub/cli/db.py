"""``hub db``: database schema migrations."""

from pathlib import Path

import typer

from hub.cli.common import DataDirOption, console, load_settings
from hub.store import make_engine
from hub.store.migrate import upgrade as upgrade_schema

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade(data_dir: Path | None = DataDirOption) -> None:
    """Apply all migrations (SQLite under the data folder, or DATABASE_URL)."""
    settings = load_settings(data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url)
    try:
        upgrade_schema(engine)
    finally:
        engine.dispose()
    console.print(f"database at head: {engine.url.render_as_string(hide_password=True)}")
