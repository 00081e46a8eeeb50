"""``hub partners``: onboard partner systems, list them, pause and resume deliveries to them,
change their endpoints, rotate their API keys and signing certificates, revoke a certificate."""

from datetime import timedelta
from pathlib import Path

import typer
from rich.table import Table

from hub.cli.common import DataDirOption, console, fail, load_settings
from hub.cli.operations import ReasonOption, cli_actor, operation
from hub.onboarding import (
    onboard_partner,
    revoke_partner_certificate,
    rotate_partner_certificate,
    rotate_partner_key,
    set_partner_endpoint,
)
from hub.operations import pause_partner, resume_partner
from hub.partners import list_partners
from hub.runtime import utc_now
from hub.store import DeliveryMode, find_partner_certificates, make_engine, make_session_factory
from signing import DevPki, GostUnavailable, KeyAlgorithm, SigningError

app = typer.Typer(help="Partner systems.", no_args_is_help=True)


@app.command()
def add(
    code: str = typer.Argument(
        ..., help="System code: an agency's (police, social, kdn…) or an organisation's."
    ),
    organisation: str = typer.Option(..., "--organisation", "-o", help="Organisation name."),
    endpoint: str | None = typer.Option(None, help="Base URL of a push partner's system."),
    delivery: DeliveryMode | None = typer.Option(
        None,
        "--delivery",
        help="push (the hub delivers to --endpoint) or pull (the partner's gateway polls "
        "its inbox); default: the adapter's.",
    ),
    agency: str | None = typer.Option(
        None,
        "--agency",
        help="The agency an organisation belongs to (edu-school-12 of education); "
        "without it CODE is an agency's own system.",
    ),
    key: KeyAlgorithm | None = typer.Option(
        None,
        "--key",
        help="rsa, ec, gost256 or gost512; default: the PKI's (rsa, or gost256 under a GOST "
        "CA, which also issues rsa and ec keys for a mixed region).",
    ),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Issue a certificate, key and API key for a new partner system and register it.

    A partner registered already is refused, with nothing changed: its API key, its
    certificate and its endpoint each have their own command.
    """
    settings = load_settings(data_dir)
    pki = DevPki(settings.pki_dir)
    if not pki.exists:
        raise fail("no PKI yet: run `hub pki init` first")
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine).begin() as session:
            bundle = onboard_partner(
                session,
                pki,
                data_dir=settings.data_dir,
                code=code,
                organisation=organisation,
                endpoint=endpoint,
                now=utc_now(),
                delivery_mode=delivery,
                agency=agency,
                key_algorithm=key,
            )
    except (KeyError, ValueError, GostUnavailable) as exc:
        raise fail(str(exc)) from exc
    finally:
        engine.dispose()
    of_agency = f" of agency {agency}" if agency and agency != bundle.code else ""
    console.print(
        f"partner [bold]{bundle.code}[/bold]{of_agency} registered ({bundle.delivery_mode.value})"
    )
    console.print(f"credentials for its adapter: {bundle.directory}")
    console.print("  key.pem, cert.pem — its signing identity; ca.pem — to verify the hub")
    console.print("  api_key — shown once here, stored hashed by the hub:")
    console.print(f"  {bundle.api_key}", soft_wrap=True)


@app.command("set-endpoint")
def set_endpoint(
    code: str = typer.Argument(..., help="System code of the partner."),
    url: str = typer.Argument(..., help="Its new endpoint, e.g. https://10.0.0.5:8443."),
    reason: str = ReasonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Deliver to a push partner at another URL; running workers use it from the next attempt."""
    with operation(data_dir, refused="endpoint not changed: ") as (_, session):
        earlier = set_partner_endpoint(
            session, code=code, endpoint=url, actor=cli_actor(), reason=reason, now=utc_now()
        )
    console.print(
        f"partner {code} is delivered to {url} from the next attempt (was {earlier or '-'})",
        soft_wrap=True,
        highlight=False,
    )


@app.command("rotate-key")
def rotate_key(
    code: str = typer.Argument(..., help="System code of the partner."),
    overlap_hours: float = typer.Option(
        168.0, "--overlap-hours", min=0, help="How long the old key keeps working."
    ),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Issue a new API key (written to the partner's bundle); the old one works for the overlap."""
    settings = load_settings(data_dir)
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine).begin() as session:
            api_key = rotate_partner_key(
                session,
                data_dir=settings.data_dir,
                code=code,
                now=utc_now(),
                overlap=timedelta(hours=overlap_hours),
            )
    except LookupError as exc:
        raise fail(str(exc)) from exc
    finally:
        engine.dispose()
    console.print(f"new API key for {code} (the old one works {overlap_hours:g} h more):")
    console.print(f"  {api_key}", soft_wrap=True)


@app.command("rotate-cert")
def rotate_cert(
    code: str = typer.Argument(..., help="System code of the partner."),
    overlap_hours: float = typer.Option(
        168.0, "--overlap-hours", min=0, help="How long the old certificate keeps signing."
    ),
    cert: Path | None = typer.Option(
        None, "--cert", help="A PEM certificate from the region's CA (else the dev PKI issues)."
    ),
    reason: str | None = typer.Option(None, "--reason", help="Why; kept in the audit log."),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Register a new signing certificate; the old one is accepted for the overlap."""
    brought = cert.read_bytes() if cert is not None else None
    try:
        with operation(data_dir) as (settings, session):
            row = rotate_partner_certificate(
                session,
                DevPki(settings.pki_dir),
                data_dir=settings.data_dir,
                code=code,
                now=utc_now(),
                overlap=timedelta(hours=overlap_hours),
                actor=cli_actor(),
                reason=reason,
                brought_pem=brought,
            )
    except (LookupError, ValueError, SigningError, GostUnavailable) as exc:
        raise fail(f"certificate not registered: {exc}") from exc
    console.print(
        f"partner {code} signs with certificate serial {row.serial_hex} from now on", soft_wrap=True
    )
    console.print(f"earlier certificates are accepted {overlap_hours:g} h more")
    if brought is None:
        console.print(
            f"its new key and certificate: {settings.data_dir / 'partners' / code}", soft_wrap=True
        )


@app.command("revoke-cert")
def revoke_cert(
    code: str = typer.Argument(..., help="System code of the partner."),
    fingerprint: str | None = typer.Option(
        None, "--fingerprint", help="SHA-256 (hex) of one certificate; default: all it signs with."
    ),
    reason: str = ReasonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Revoke a partner's signing certificate: its messages are refused from now on."""
    try:
        with operation(data_dir) as (settings, session):
            pki = DevPki(settings.pki_dir)
            rows = revoke_partner_certificate(
                session,
                pki,
                code=code,
                now=utc_now(),
                actor=cli_actor(),
                reason=reason,
                fingerprint=fingerprint,
            )
    except (LookupError, GostUnavailable) as exc:
        raise fail(f"nothing revoked: {exc}") from exc
    serials = ", ".join(row.serial_hex for row in rows)
    console.print(
        f"revoked certificate serial {serials} of {code}; its messages are refused", soft_wrap=True
    )
    if not pki.exists:
        console.print("ask the region's CA to revoke it too and publish crl.pem under the PKI")


@app.command("certs")
def certs(
    code: str = typer.Argument(..., help="System code of the partner."),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Show the certificates a partner may sign with, and those it no longer may."""
    with operation(data_dir) as (_, session):
        rows = find_partner_certificates(session, code)
    if not rows:
        console.print(f"no certificate on record for {code}: bound by the CA and its code alone")
        return
    # Plain lines, not a table: the fingerprint is copied whole into `revoke-cert`.
    for row in rows:
        valid_until = row.valid_until.isoformat(timespec="minutes") if row.valid_until else "-"
        revoked = row.revoked_at.isoformat(timespec="minutes") if row.revoked_at else "-"
        console.print(
            f"serial={row.serial_hex} sha256={row.fingerprint_sha256} "
            f"expires={row.not_after.date().isoformat()} accepted_until={valid_until} "
            f"revoked={revoked}",
            soft_wrap=True,
            highlight=False,
        )


@app.command("list")
def list_(data_dir: Path | None = DataDirOption) -> None:
    """Show the registered partner systems."""
    settings = load_settings(data_dir)
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine)() as session:
            partners = list_partners(session)
    finally:
        engine.dispose()
    table = Table("code", "agency", "organisation", "delivery", "endpoint", "active", "paused")
    for partner in partners:
        table.add_row(
            partner.code,
            partner.adapter,
            partner.organisation,
            partner.delivery_mode.value,
            partner.endpoint or "—",
            "yes" if partner.active else "no",
            partner.paused_reason or "yes" if partner.paused else "no",
        )
    console.print(table)


@app.command()
def pause(
    code: str = typer.Argument(..., help="System code of the partner."),
    reason: str = ReasonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Stop deliveries to a partner; they wait in the outbox until `hub partners resume`."""
    with operation(data_dir) as (_, session):
        pause_partner(session, code, actor=cli_actor(), reason=reason, now=utc_now())
    console.print(f"partner {code} paused; its deliveries wait in the outbox")


@app.command()
def resume(
    code: str = typer.Argument(..., help="System code of the partner."),
    reason: str = ReasonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Let deliveries to a paused partner flow again; the worker's sweeper sends what waited."""
    with operation(data_dir) as (settings, session):
        resume_partner(session, code, actor=cli_actor(), reason=reason, now=utc_now())
    console.print(
        f"partner {code} resumed; the worker's sweeper sends what waited "
        f"within {settings.sweep_interval_s:g} s"
    )
