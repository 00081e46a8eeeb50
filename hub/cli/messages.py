"""``hub sign``, ``hub send`` and ``hub verify``: a partner engineer's tools for one message file.

``sign`` and ``verify --ca`` need only the partner's bundle or the CA, and ``send --bundle``
only the bundle and the hub's URL: a partner runs them without the hub's data folder.
"""

import sys
from pathlib import Path

import typer
from cryptography import x509

from adapters.hub_client import HubClient, HubRefused, HubUnreachable
from adapters.kit import SignRefused, load_signing_key, sign_envelope
from hub.cli.common import DataDirOption, console, fail, load_settings
from hub.errors import Rejection
from hub.ingest import Inspector, build_inspector, open_pki, parse_limits
from hub.onboarding import bundle_dir
from schemas import DSIG_NS, SchemaError, parse_xml, read_header, validate_envelope
from signing import ANY_PROVIDER, HUB_SYSTEM_CODE, TrustStore, XmlVerifier

BundleOption = typer.Option(
    None,
    "--bundle",
    "--credentials",
    file_okay=False,
    help="The partner's bundle folder (key.pem, cert.pem, ca.pem, api_key) from "
    "`hub partners add`; default: the Sender's bundle in the hub's data folder.",
)


def verify(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A signed message."),
    ca: Path | None = typer.Option(
        None,
        "--ca",
        exists=True,
        dir_okay=False,
        help="Trust this CA (ca.pem of a bundle) instead of the hub's PKI: no data folder.",
    ),
    crl: Path | None = typer.Option(
        None, "--crl", exists=True, dir_okay=False, help="With --ca: the CA's revocation list."
    ),
    hub_copy: bool = typer.Option(
        False, "--hub-copy", help="A copy the hub delivered: signed by the hub, not the Sender."
    ),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Check a message offline as the hub would: parse, schemas, signature, trust.

    Prints the verdict; exits 1 with the rejection code when the hub would refuse it.
    Replay, freshness and routing need the hub's database and are not checked.
    """
    settings = load_settings(data_dir)
    if ca is not None:
        trust = TrustStore(
            ca_certificates=x509.load_pem_x509_certificates(ca.read_bytes()),
            crls=[x509.load_pem_x509_crl(crl.read_bytes())] if crl is not None else [],
        )
        # A check against a CA file, with no hub's settings: any algorithm the profile
        # knows, bound to the certificate's key as always.
        inspector = Inspector(XmlVerifier(trust, ANY_PROVIDER), parse_limits(settings))
    elif crl is not None:
        raise fail("--crl goes with --ca")
    else:
        inspector = build_inspector(settings, open_pki(settings))
    try:
        message = inspector.inspect(
            file.read_bytes(), signed_by=HUB_SYSTEM_CODE if hub_copy else None
        )
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


def sign(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="An unsigned envelope."),
    bundle: Path = typer.Option(
        ..., "--bundle", exists=True, file_okay=False, help="The partner's bundle folder."
    ),
    fresh: bool = typer.Option(False, "--fresh", help="A new MessageId and CreatedAt first."),
    out: Path | None = typer.Option(None, "-o", "--out", help="Write here (default: stdout)."),
) -> None:
    """Sign an envelope with the bundle's key by the hub's signature profile."""
    try:
        signed = sign_envelope(file.read_bytes(), load_signing_key(bundle), fresh=fresh)
    except SignRefused as refused:
        raise fail(f"{file}: {refused}") from refused
    if out is None:
        sys.stdout.buffer.write(signed)
        sys.stdout.buffer.flush()
        return
    out.write_bytes(signed)
    console.print(f"signed {read_header(parse_xml(signed)).message_id} into {out}", soft_wrap=True)


def send(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="An envelope: unsigned (signed here) or signed."
    ),
    hub_url: str = typer.Option("http://127.0.0.1:8000", "--hub", help="The hub's base URL."),
    bundle: Path | None = BundleOption,
    save: Path | None = typer.Option(None, "--save", help="Also write the bytes posted here."),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Post an envelope to the hub, signed with the partner's key as its adapter would."""
    try:
        envelope = parse_xml(file.read_bytes())
        # The Sender picks the credentials; only a valid envelope's header says it reliably.
        validate_envelope(envelope)
    except SchemaError as exc:
        raise fail(f"{file} is not a valid envelope: {exc}") from exc
    header = read_header(envelope)
    folder = bundle or bundle_dir(load_settings(data_dir).data_dir, header.sender)
    if not (folder / "api_key").exists():
        raise fail(f"no credentials in {folder}: run `hub partners add {header.sender}`")
    with HubClient(hub_url, folder) as client:
        # A signed file (``hub sign``) goes as it is: re-signing would add a second signature.
        already_signed = envelope.find(f"{{{DSIG_NS}}}Signature") is not None
        signed = file.read_bytes() if already_signed else client.sign(envelope)
        if save is not None:
            save.write_bytes(signed)
        try:
            receipt = client.send_signed(signed, header.message_id)
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
