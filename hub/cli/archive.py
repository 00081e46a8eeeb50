"""``hub archive --before DATE --out DIR`` and ``hub archive verify DIR``: retention of bodies."""

import io
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import typer
from cryptography import x509

from hub.admin import TrustMaterial
from hub.archive import (
    LogChangedDuringArchive,
    Seal,
    load_archive_key,
    load_retention,
    verify_archives,
    write_archive,
)
from hub.cli.common import DataDirOption, console, fail, load_settings
from hub.ingest import hub_signer, open_pki
from hub.routing import ConfigInvalid
from hub.runtime import utc_now
from hub.sealing import seal, seal_file
from hub.store import make_engine, make_session_factory

app = typer.Typer(
    help="Move message bodies past their retention into signed archive files, and check them.",
    invoke_without_command=True,
    no_args_is_help=True,
)


@app.callback()
def archive(
    ctx: typer.Context,
    before: str | None = typer.Option(
        None,
        "--before",
        help="The operator's own cut: archive settled messages received before this, "
        "whatever their type's retention: YYYY-MM-DD (midnight UTC), an ISO date-time with "
        "offset, today or tomorrow. Without it, each type's retention decides.",
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        file_okay=False,
        help="The folder to write the archive file into (default: HUB_ARCHIVE_DIR).",
    ),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Move the bodies of messages past their type's retention (HUB_RETENTION_RULES), or
    received before DATE, into one archive file signed by the hub; the log keeps the
    metadata and the chain. Messages with a delivery not delivered or cancelled stay.
    """
    if ctx.invoked_subcommand is not None:
        return
    settings = load_settings(data_dir)
    out = out or settings.archive_dir
    if out is None:
        raise fail("give --out DIR or set HUB_ARCHIVE_DIR (or: hub archive verify DIR)")
    now = utc_now()
    try:
        cutoff = now if before is None else parse_before(before, now=now)
        retention = load_retention(settings.retention_rules) if before is None else None
        signer = hub_signer(settings, open_pki(settings))
        seal = _sealing_to(settings.archive_recipient_cert)
    except (ConfigInvalid, ValueError, OSError) as exc:
        raise fail(str(exc)) from exc
    engine = make_engine(settings.effective_database_url)
    try:
        written = write_archive(
            make_session_factory(engine),
            before=cutoff,
            now=now,
            out_dir=out,
            retention=retention,
            signer=signer,
            seal=seal,
        )
    except (LogChangedDuringArchive, FileExistsError) as exc:
        raise fail(str(exc)) from exc
    finally:
        engine.dispose()
    if written is None:
        console.print(
            "nothing to archive: no settled message is past its retention"
            if before is None
            else "nothing to archive: no settled message was received before that date"
        )
        return
    console.print(
        f"[green]archived[/green] {written.messages} message(s), {written.deliveries} "
        f"outbound copies and {written.rejections} rejection(s) into {written.path}"
    )


@app.command("verify")
def verify(
    directory: Path = typer.Argument(..., exists=True, file_okay=False, help="Archive folder."),
    key: Path | None = typer.Option(
        None,
        "--key",
        dir_okay=False,
        help="The private key (PEM) that opens sealed archives (default: HUB_ARCHIVE_KEY).",
    ),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Check archive files against their signature and the log; exit 1 naming each difference.

    Each file's signature by the hub, each body's SHA-256, each row's link against the log,
    and that every archive the log names is in DIR.
    """
    settings = load_settings(data_dir)
    try:
        trust = TrustMaterial.from_settings(settings)
    except (OSError, ValueError) as exc:
        raise fail(f"no PKI under {settings.pki_dir}: {exc}") from exc
    key_file = key or settings.archive_key
    try:
        private_key = load_archive_key(key_file) if key_file else None
    except (OSError, ValueError) as exc:
        raise fail(f"archive key {key_file}: {exc}") from exc
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine, read_only=True)() as session:
            report = verify_archives(session, directory, verifier=trust.verifier, key=private_key)
    finally:
        engine.dispose()
    for difference in report.differences:
        console.print(f"[red]differs[/red] {difference}")
    if not report.intact:
        raise fail(f"{len(report.differences)} difference(s) in {directory}")
    console.print(
        f"[green]intact[/green]: {report.archives} archive(s), {report.messages} message(s) "
        "match their signatures and the log"
    )


def _sealing_to(certificate_file: Path | None) -> Seal | None:
    """Sealing to ``HUB_ARCHIVE_RECIPIENT_CERT``, checked now rather than after the writing.

    Raises:
        OSError, ValueError: the certificate cannot be read, or its key cannot seal (GOST).
    """
    if certificate_file is None:
        return None
    certificate = x509.load_pem_x509_certificate(certificate_file.read_bytes())
    # Sealing nothing raises UnsupportedKey (a ValueError) for a GOST certificate now.
    seal(io.BytesIO(), io.BytesIO(), certificate)
    return lambda plain, sealed: seal_file(plain, sealed, certificate)


def parse_before(text: str, *, now: datetime) -> datetime:
    """``--before``: a word (today, tomorrow), a date (its midnight UTC) or an aware date-time.

    Raises:
        ValueError: none of those, or a date-time without an offset.
    """
    words = {"today": now.date(), "tomorrow": now.date() + timedelta(days=1)}
    day = words.get(text.strip().lower())
    if day is None and len(text.strip()) == 10:
        day = date.fromisoformat(text.strip())
    if day is not None:
        return datetime.combine(day, time(), tzinfo=UTC)
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        raise ValueError(f"--before {text}: give the offset (e.g. +00:00) or a date")
    return moment
