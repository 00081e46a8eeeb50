"""``hub evidence``: write the evidence zip (the unmasked original) of an approved request.

Four eyes hold here too: the command takes the number of a request an auditor made and a
second auditor approved on the pages or the API, never a message id. The shell user
fetches it on the requester's behalf; the single download and the approval's time limit
still apply, and the audit row names the shell user, the requester and the approver.
"""

from pathlib import Path

import typer

from hub.admin import TrustMaterial
from hub.archive import ArchiveShelf
from hub.cli.common import DataDirOption, console, fail, load_settings
from hub.cli.operations import cli_actor, operation
from hub.errors import BodyArchived
from hub.evidence_requests import download_evidence
from hub.runtime import utc_now


def evidence(
    request_id: int = typer.Argument(..., help="An approved evidence request's number."),
    out: Path | None = typer.Option(
        None, "--out", dir_okay=False, help="Where to write the zip (default: evidence-<id>.zip)."
    ),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Write an approved request's evidence zip: original, certificates, CRL, report, chain
    proof. README.txt inside says how to check it. Refused unless a second auditor approved
    the request, it has not been downloaded yet and the approval has not expired.
    """
    settings = load_settings(data_dir)
    try:
        trust = TrustMaterial.from_settings(settings)
        shelf = ArchiveShelf.from_settings(settings)
    except (OSError, ValueError) as exc:
        raise fail(f"no PKI under {settings.pki_dir}: {exc}") from exc
    with operation(data_dir, refused="nothing written: ") as (_, session):
        try:
            row, data = download_evidence(
                session,
                trust,
                request_id,
                actor=cli_actor(),
                now=utc_now(),
                channel="cli",
                requester_only=False,
                shelf=shelf,
            )
        except BodyArchived as exc:
            raise fail(exc.reason) from exc
        target = out or Path(f"evidence-{row.message_log_id}.zip")
        target.write_bytes(data)
    console.print(
        f"[green]written[/green] {target} ({len(data)} bytes); requested by {row.requested_by}, "
        f"approved by {row.approved_by}"
    )
