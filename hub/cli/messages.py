"""``hub send`` and ``hub verify``: a partner engineer's tools for one message file."""

from pathlib import Path

import typer

from adapters.hub_client import HubClient, HubRefused, HubUnreachable
from hub.cli.common import DataDirOption, console, fail, load_settings
from hub.errors import Rejection
from hub.ingest import build_inspector, open_pki
from hub.onboarding import bundle_dir
from schemas import SchemaError, parse_xml, read_header, validate_envelope


def verify(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A signed message."),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Check a message offline as the hub would: parse, schemas, signature, trust.

    Prints the verdict; exits 1 with the rejection code when the hub would refuse it.
    Replay, freshness and routing need the hub's database and are not checked.
    """
    settings = load_settings(data_dir)
    inspector = build_inspector(settings, open_pki(settings))
    try:
        message = inspector.inspect(file.read_bytes())
    except Rejection as rejection:
        console.print(
            f"[red]REFUSED[/red] {rejection.code} ({rejection.status}): {rejection.detail}"
        )
        raise typer.Exit(1) from rejection
    header = message.header
    console.print(f"[green]VALID[/green] {header.message_type} {header.schema_version}")
    console.print(f"  MessageId {header.message_id}, Sender {header.sender}")
    console.print(
        f"  signed by {message.signer.system_code} ({message.signer.organisation}), "
        f"certificate {message.signer.fingerprint_sha256[:16]}…"
    )


def send(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="An unsigned envelope."),
    hub_url: str = typer.Option("http://127.0.0.1:8000", "--hub", help="The hub's base URL."),
    credentials: Path | None = typer.Option(
        None, help="The partner's credentials folder (default: the bundle of the Sender)."
    ),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Sign an envelope with a partner's key and post it to the hub, as its adapter would."""
    settings = load_settings(data_dir)
    try:
        envelope = parse_xml(file.read_bytes())
        # The Sender picks the credentials; only a valid envelope's header says it reliably.
        validate_envelope(envelope)
    except SchemaError as exc:
        raise fail(f"{file} is not a valid envelope: {exc}") from exc
    sender = read_header(envelope).sender
    folder = credentials or bundle_dir(settings.data_dir, sender)
    if not (folder / "api_key").exists():
        raise fail(f"no credentials in {folder}: run `hub partners add {sender}`")
    with HubClient(hub_url, folder) as client:
        try:
            receipt = client.send(envelope)
        except HubRefused as refused:
            raise fail(f"refused {refused.code} ({refused.status}): {refused.detail}") from refused
        except HubUnreachable as exc:
            raise fail(f"hub unreachable: {exc}") from exc
    if receipt.duplicate:
        console.print(f"already accepted earlier: MessageId {receipt.message_id}")
        return
    console.print(
        f"[green]accepted[/green] MessageId {receipt.message_id} as hub id {receipt.hub_id}"
    )
    for delivery in receipt.deliveries:
        console.print(f"  → {delivery.recipient}: {delivery.status}")
