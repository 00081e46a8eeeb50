"""``hub conformance``: a partner checks its setup against a hub (adapters.kit.conformance).

Standalone: the partner's bundle and the hub's URL are all it reads; no hub data folder.
"""

import json
from pathlib import Path

import typer
from rich.table import Table

from adapters.hub_client import HubClientError
from adapters.kit import Check, run_conformance
from hub.cli.common import console, fail

_STYLE = {"pass": "[green]PASS[/green]", "fail": "[red]FAIL[/red]", "skip": "[yellow]SKIP[/yellow]"}


def conformance(
    hub_url: str = typer.Option(..., "--hub", help="The hub's base URL (a test hub: sandbox)."),
    bundle: Path = typer.Option(
        ..., "--bundle", exists=True, file_okay=False, help="The partner's bundle folder."
    ),
    wait_s: float = typer.Option(
        30.0, "--wait", min=0, help="Seconds to wait for answers in a pull partner's inbox."
    ),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the report here."),
) -> None:
    """Send each type the partner may send, valid and deliberately broken, check the hub's
    codes, round-trip the inbox where it pulls; exit 1 on any failure."""

    def show(check: Check) -> None:
        console.print(f"  {_STYLE[check.outcome]} {check.name}: {check.got}", soft_wrap=True)

    try:
        report = run_conformance(hub_url, bundle, wait_s=wait_s, on_check=show)
    except HubClientError as exc:
        raise fail(f"cannot run the kit against {hub_url}: {exc}") from exc
    table = Table(
        "check", "expected", "got", "result", "note", title=f"{report.partner} → {hub_url}"
    )
    for check in report.checks:
        table.add_row(check.name, check.expected, check.got, _STYLE[check.outcome], check.note)
    console.print(table)
    if json_out is not None:
        json_out.write_text(json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n")
    failed = sum(check.outcome == "fail" for check in report.checks)
    if failed:
        raise fail(f"{failed} check(s) failed")
    console.print(f"[green]conformant[/green]: {len(report.checks)} checks, none failed")
