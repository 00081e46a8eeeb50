"""``hub gateway``: run a partner system's gateway beside it, and see what its spool holds."""

import json
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table

from adapters.gateway.process import GatewayOptions, run_gateway, status_record
from adapters.gateway.spool import Spool, SpoolUnavailable
from hub.cli.common import console, fail

app = typer.Typer(help="The partner-side gateway.", no_args_is_help=True)


@app.command()
def run(
    code: str = typer.Argument(..., help="The partner system: police, social, employment …"),
    hub_url: str = typer.Option(..., "--hub", help="The hub's base URL."),
    bundle: Path = typer.Option(
        ..., exists=True, file_okay=False, help="The partner's bundle (hub partners add)."
    ),
    port: int = typer.Option(..., help="Port of the native interface (0: any free one)."),
    system: str = typer.Option(
        ..., help="The partner system's endpoint, where the hub's messages are delivered."
    ),
    spool: Path | None = typer.Option(
        None, help="The spool file (default: gateway-<code>.sqlite in the current folder)."
    ),
    host: str = typer.Option("127.0.0.1", help="Address of the native interface."),
    agency: str | None = typer.Option(
        None,
        "--agency",
        help="The agency of an organisation's gateway (edu-school-12 of education): its "
        "native interface; default: CODE is an agency's own system.",
    ),
    max_backoff_s: float = typer.Option(
        30.0, "--max-backoff-s", min=0.1, help="Longest wait between resends to the hub."
    ),
) -> None:
    """Serve the partner system's native interface; sign, spool and send to the hub; deliver
    the hub's messages into the system."""
    options = GatewayOptions(
        code=code,
        hub_url=hub_url,
        bundle=bundle,
        system_url=system,
        spool=spool or Path(f"gateway-{code}.sqlite"),
        host=host,
        port=port,
        max_backoff_s=max_backoff_s,
        agency=agency,
    )
    try:
        run_gateway(options)
    except (KeyError, OSError, ValueError, SpoolUnavailable) as exc:
        raise fail(str(exc)) from exc


@app.command()
def status(
    spool: Path = typer.Option(..., exists=True, dir_okay=False, help="The gateway's spool file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Messages per state (waiting, sent, refused), the oldest waiting one, the last error."""
    try:
        store = Spool(spool)
    except SpoolUnavailable as exc:
        raise fail(str(exc)) from exc
    try:
        record = status_record(store.status())
    finally:
        store.close()
    if as_json:
        console.print_json(json.dumps(record))
        return
    table = Table("direction", "state", "messages")
    for direction in ("outgoing", "incoming"):
        counts = record[direction]
        assert isinstance(counts, dict)
        label = "to the hub" if direction == "outgoing" else "to the system"
        for state, count in counts.items():
            table.add_row(label, state, str(count))
    console.print(table)
    oldest = record["oldest_waiting"]
    if isinstance(oldest, dict):
        console.print(
            f"oldest waiting: {oldest['message_type']} {oldest['message_id']} "
            f"(gateway id {oldest['gateway_id']}, since {_when(oldest['created_at'])}, "
            f"{oldest['attempts']} attempts)"
        )
    if record["last_error"] is not None:
        console.print(f"last error: {record['last_error']} at {_when(record['last_error_at'])}")


def _when(timestamp: object) -> str:
    return datetime.fromtimestamp(float(str(timestamp)), UTC).isoformat(timespec="seconds")
