"""``hub pki``: the development PKI (CA, hub key, partner certificates); hub key rotation."""

from pathlib import Path

import typer

from hub.cli.common import CryptoOption, DataDirOption, console, fail, load_settings
from hub.cli.operations import cli_actor, operation
from hub.operations import record_operation
from hub.runtime import utc_now
from signing import HUB_SYSTEM_CODE, Crypto, DevPki, GostUnavailable

app = typer.Typer(help="Development PKI.", no_args_is_help=True)


@app.command()
def init(
    crypto: Crypto = CryptoOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Create the CA, the hub's signing key and an empty CRL (existing keys are kept)."""
    settings = load_settings(data_dir)
    pki = DevPki(settings.pki_dir)
    try:
        pki.init(crypto)
    except (FileExistsError, GostUnavailable) as exc:
        raise fail(str(exc)) from exc
    console.print(f"{crypto} PKI ready under {settings.pki_dir}", soft_wrap=True)


@app.command("rotate-hub-key")
def rotate_hub_key(
    reason: str | None = typer.Option(None, "--reason", help="Why; kept in the audit log."),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Issue the hub a new signing key and certificate; the old certificate is kept.

    Running `hub serve` and `hub worker` processes sign with the new key within
    `crl_recheck_s` seconds; copies signed earlier keep verifying against the CA.
    """
    with operation(data_dir) as (settings, session):
        pki = DevPki(settings.pki_dir)
        if not pki.exists:
            raise fail("no PKI yet: run `hub pki init` first")
        try:
            old = pki.signing_key(HUB_SYSTEM_CODE).certificate.serial_number
            pki.rotate_hub_key()
            new = pki.signing_key(HUB_SYSTEM_CODE).certificate.serial_number
        except GostUnavailable as exc:
            raise fail(str(exc)) from exc
        record_operation(
            session,
            cli_actor(),
            "pki.rotate_hub_key",
            f"serial={new:x} earlier={old:x}",
            reason,
            utc_now(),
        )
    console.print(
        f"hub signs with certificate serial {new:x}; serial {old:x} kept under retired/",
        soft_wrap=True,
    )
