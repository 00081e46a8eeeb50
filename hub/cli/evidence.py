"""``hub evidence``: export one message's evidence zip (the unmasked original), audited."""

from pathlib import Path

import typer

from hub.admin import TrustMaterial, export_evidence, find_message
from hub.archive import ArchiveShelf
from hub.cli.common import DataDirOption, console, fail, load_settings
from hub.cli.operations import cli_actor
from hub.errors import BodyArchived, NotFound
from hub.operations import record_operation
from hub.runtime import utc_now
from hub.store import make_engine, make_session_factory


def evidence(
    message_id: str = typer.Argument(..., help="A MessageId, or the hub id of a message."),
    out: Path | None = typer.Option(
        None, "--out", dir_okay=False, help="Where to write the zip (default: evidence-<id>.zip)."
    ),
    reason: str = typer.Option("", "--reason", help="Why; kept in the audit log."),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Write the message's evidence zip: original, certificates, CRL, report, chain proof.

    The zip holds the original with its personal data; each export is audited as
    ``evidence.export`` by ``cli:<user>``. README.txt inside says how to check it.
    """
    settings = load_settings(data_dir)
    try:
        trust = TrustMaterial.from_settings(settings)
    except OSError as exc:
        raise fail(f"no PKI under {settings.pki_dir}: {exc}") from exc
    actor = cli_actor()
    now = utc_now()
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine).begin() as session:
            try:
                data = export_evidence(
                    session, trust, message_id, now=now, shelf=ArchiveShelf.from_settings(settings)
                )
            except NotFound as exc:
                raise fail(f"message {message_id} not found") from exc
            except BodyArchived as exc:
                raise fail(exc.reason) from exc
            row = find_message(session, message_id)
            assert row is not None  # export_evidence found it in this transaction
            target = out or Path(f"evidence-{row.id}.zip")
            target.write_bytes(data)
            record_operation(
                session,
                actor,
                "evidence.export",
                f"channel=cli hub_id={row.id} message_id={row.message_id}",
                reason.strip()[:500] or None,
                now,
                case_ref=row.case_ref,
            )
    finally:
        engine.dispose()
    console.print(f"[green]written[/green] {target} ({len(data)} bytes)")
