"""``hub archive`` on a real database: bodies move into a signed file and read back from it.

Given referrals accepted through the real ingest pipeline and delivered through the real
delivery path (an in-memory partner transport), one left pending and one rejection: the
archive takes what is due, the log keeps metadata and its chain, ``hub archive verify``
and ``hub verify-log`` hold, and the trace, evidence and case rebuild read the body back
from the archive — or say where it went when the archive is not there.
"""

import io
import json
import shutil
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from adapters.base import Adapter, InMemoryTransport
from hub.admin import TrustMaterial, export_evidence, get_message_detail
from hub.archive import (
    ArchiveShelf,
    ArchiveWritten,
    Retention,
    load_archive_key,
    verify_archives,
    write_archive,
)
from hub.cases import CaseProjector, rebuild_cases
from hub.cli import app
from hub.config import Settings
from hub.errors import BodyArchived, Rejection
from hub.evidence_requests import approve_evidence, request_evidence
from hub.ingest import Ingestor, IngestReceipt, hub_signer, verify_chain
from hub.operations import Actor
from hub.regions import load_regions
from hub.store import MessageLog
from hub.store import Rejection as RejectionRow
from queues import PartnerTransports, RetryPolicy, deliver_batch, lane_for
from signing import DevPki, VerifyPolicy
from tests.factories import Signers, make_envelope

#: Every body is due as soon as it is delivered.
NO_RETENTION = Retention(default_days=0)


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def flowed(
    ingestor: Ingestor, signers: Signers, session_factory: sessionmaker[Session]
) -> tuple[IngestReceipt, IngestReceipt]:
    """A referral delivered to both its recipients, one still pending, and one rejection."""
    delivered = ingestor.ingest(
        signers.sign(make_envelope(sender="police", case_ref="KAM-7")), authenticated="police"
    )
    pending = ingestor.ingest(signers.sign(make_envelope(sender="police")), authenticated="police")
    with pytest.raises(Rejection):
        ingestor.ingest(b"<not-signed/>", authenticated="police")
    partner = InMemoryTransport()
    mem = Adapter(code="mem", delivery_mode="push", make_transport=lambda _e, _t: partner)
    transports = PartnerTransports(session_factory, {"social": mem, "kdn": mem}, timeout_s=5.0)
    try:
        for delivery in delivered.deliveries:
            # A batch of one takes the partner's oldest row: this referral's, not the pending one's.
            report = deliver_batch(
                session_factory,
                delivery.recipient,
                lane_for(delivered.priority),
                transports=transports,
                now=_now,
                lease_s=30,
                batch_size=1,
                retry=RetryPolicy(max_attempts=4, min_backoff_ms=100, max_backoff_ms=1_000),
            )
            assert [(o.delivery_id, o.outcome) for o in report.outcomes] == [
                (delivery.delivery_id, "delivered")
            ]
    finally:
        transports.close()
    return delivered, pending


@dataclass(frozen=True)
class Hub:
    """What each test works on: the log after the flow, the hub's PKI and a scratch folder."""

    sessions: sessionmaker[Session]
    settings: Settings
    pki: DevPki
    trust: TrustMaterial
    folder: Path
    delivered: IngestReceipt
    pending: IngestReceipt

    def archive(self, out: Path) -> ArchiveWritten | None:
        """``hub archive --before tomorrow --out out``, every body due at once."""
        return write_archive(
            self.sessions,
            before=_now() + timedelta(days=1),
            now=_now(),
            out_dir=out,
            retention=NO_RETENTION,
            signer=hub_signer(self.settings, self.pki),
        )

    def differences(self, folder: Path) -> list[str]:
        with self.sessions() as session:
            return verify_archives(session, folder, verifier=self.trust.verifier).differences


@pytest.fixture
def hub(
    flowed: tuple[IngestReceipt, IngestReceipt],
    session_factory: sessionmaker[Session],
    settings: Settings,
    pki: DevPki,
    tmp_path: Path,
) -> Hub:
    trust = TrustMaterial.load(pki.root, VerifyPolicy())
    return Hub(session_factory, settings, pki, trust, tmp_path, *flowed)


def test_archive_moves_delivered_bodies_and_keeps_the_chain(hub: Hub) -> None:
    with hub.sessions() as session:
        original = session.get_one(MessageLog, hub.delivered.hub_id).raw
    out = hub.folder / "archive"

    written = hub.archive(out)

    assert written is not None
    assert (written.messages, written.deliveries, written.rejections) == (1, 2, 1)
    with hub.sessions() as session:
        row = session.get_one(MessageLog, hub.delivered.hub_id)
        assert (row.raw, row.archive_name) == (b"", written.path.name)
        assert {d.payload for d in row.deliveries} == {b""}
        # The pending message keeps its body (a failure is kept until handled).
        kept = session.get_one(MessageLog, hub.pending.hub_id)
        assert kept.archive_name is None
        assert kept.raw
        assert session.scalars(select(RejectionRow)).all() == []
        assert verify_chain(session).intact
        report = verify_archives(session, out, verifier=hub.trust.verifier)
    assert report.intact, report.differences
    assert (report.archives, report.messages) == (1, 1)
    with zipfile.ZipFile(written.path) as archive:
        assert archive.read(f"messages/{hub.delivered.hub_id}.xml") == original
    # Running again archives nothing twice.
    assert hub.archive(out) is None

    ref, elsewhere_dir = str(hub.delivered.hub_id), hub.folder / "elsewhere"
    with hub.sessions() as session:
        here = get_message_detail(
            session, ref, trust=hub.trust, now=_now(), shelf=ArchiveShelf(out)
        )
        elsewhere = get_message_detail(
            session, ref, trust=hub.trust, now=_now(), shelf=ArchiveShelf(elsewhere_dir)
        )
        evidence = export_evidence(session, hub.trust, ref, now=_now(), shelf=ArchiveShelf(out))
    assert (here.archive_name, here.archive_note) == (written.path.name, None)
    assert here.verification is not None
    assert here.verification.valid
    assert here.chain.consistent
    assert here.masked_xml
    assert elsewhere.verification is None
    assert elsewhere.chain.consistent
    assert elsewhere.archive_note == (
        f"тело сообщения перенесено в архив {written.path.name}; архив не найден в {elsewhere_dir}"
    )
    assert zipfile.ZipFile(io.BytesIO(evidence)).read("message.xml") == original


def test_case_rebuild_reads_archived_bodies_or_refuses_naming_the_archive(hub: Hub) -> None:
    written = hub.archive(hub.folder / "archive")
    assert written is not None
    projector = CaseProjector(load_regions())

    with pytest.raises(BodyArchived) as refused, hub.sessions.begin() as session:
        rebuild_cases(session, projector)
    assert written.path.name in refused.value.reason
    shelf = ArchiveShelf(hub.folder / "archive")
    with hub.sessions.begin() as session, shelf.reading() as bodies:
        assert rebuild_cases(session, projector, bodies=bodies) == 2


def test_verify_names_each_difference(hub: Hub) -> None:
    hub_id = hub.delivered.hub_id
    written = hub.archive(hub.folder / "archive")
    assert written is not None
    name = written.path.name

    # A body altered inside the file, rows.json left alone: the body is named.
    altered = hub.folder / "altered"
    _rewrite(written.path, altered / name, f"messages/{hub_id}.xml", b"<x/>")
    assert hub.differences(altered) == [
        f"{name}: message {hub_id}: the body does not match its SHA-256"
    ]
    # rows.json altered: the signed manifest no longer matches it.
    rows = json.loads(zipfile.ZipFile(written.path).read("rows.json"))
    rows["messages"][0]["prev_hash"] = "0" * 64
    edited = hub.folder / "edited"
    _rewrite(written.path, edited / name, "rows.json", json.dumps(rows).encode())
    assert hub.differences(edited) == [
        f"{name}: rows.json does not match the signed manifest (altered)"
    ]
    # The log's link changed under the archive.
    with hub.sessions.begin() as session:
        session.get_one(MessageLog, hub_id).chain_hash = "f" * 64
    assert hub.differences(written.path.parent) == [
        f"{name}: message {hub_id}: chain_hash differs from the log"
    ]
    # The archive missing from the folder.
    assert hub.differences(hub.folder) == [
        f"{name}: named by 1 message(s) in the log but not in {hub.folder}"
    ]


def _rewrite(source: Path, target: Path, entry: str, data: bytes) -> None:
    """A copy of archive ``source`` at ``target`` with ``entry`` replaced by ``data``."""
    target.parent.mkdir(parents=True)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            new.writestr(item, data if item.filename == entry else old.read(item))


def _approved_request(hub: Hub) -> int:
    """An evidence request for the delivered message, approved by a second auditor."""
    now = _now()
    with hub.sessions.begin() as session:
        asked = request_evidence(
            session,
            str(hub.delivered.hub_id),
            actor=Actor(login="auditor", role="auditor"),
            reason="запрос суда",
            now=now,
        )
        approve_evidence(
            session, asked.id, actor=Actor(login="auditor2", role="auditor"), now=now, ttl_s=60
        )
        return asked.id


def _cli(hub: Hub, data_dir: Path, database_url: str, out: Path, **env: str) -> CliRunner:
    """The command line on this test's hub (the shipped retention), archives kept in ``out``."""
    return CliRunner(
        env={
            "HUB_DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "HUB_ARCHIVE_DIR": str(out),
            "COLUMNS": "200",
            **env,
        }
    )


def test_done_when_archive_verify_and_verify_log_on_the_command_line(
    hub: Hub, data_dir: Path, database_url: str
) -> None:
    out = hub.folder / "archive"
    cli = _cli(hub, data_dir, database_url, out)
    # A scheduled run: each type's retention (years) decides, and today's messages stay
    kept = cli.invoke(app, ["archive", "--out", str(out)])
    assert kept.exit_code == 0, kept.output
    assert "nothing to archive: no settled message is past its retention" in kept.output
    # The operator's own cut archives every settled message before it
    archived = cli.invoke(app, ["archive", "--before", "tomorrow", "--out", str(out)])
    assert archived.exit_code == 0, archived.output
    assert "archived 1 message(s), 2 outbound copies and 1 rejection(s)" in archived.output
    verified = cli.invoke(app, ["archive", "verify", str(out)])
    assert verified.exit_code == 0, verified.output
    assert "intact: 1 archive(s), 1 message(s)" in verified.output
    log = cli.invoke(app, ["verify-log"])
    assert log.exit_code == 0, log.output
    evidence = ["evidence", str(_approved_request(hub)), "--out"]
    exported = cli.invoke(app, [*evidence, str(hub.folder / "e.zip")])
    assert exported.exit_code == 0, exported.output

    (name,) = (p.name for p in out.iterdir())
    shutil.move(out / name, hub.folder / name)
    missing = cli.invoke(app, ["archive", "verify", str(out)])
    assert missing.exit_code == 1
    assert f"{name}: named by 1 message(s)" in missing.output
    evidence = ["evidence", str(_approved_request(hub)), "--out"]
    absent = cli.invoke(app, [*evidence, str(hub.folder / "f.zip")])
    assert absent.exit_code == 1
    assert f"архив не найден в {out}" in absent.output


def test_a_sealed_archive_opens_only_with_the_recipients_key(
    hub: Hub, data_dir: Path, database_url: str
) -> None:
    # Any RSA certificate of the dev PKI stands for the archive keeper's.
    recipient = hub.pki.credentials("social")
    out = hub.folder / "archive"
    cli = _cli(
        hub, data_dir, database_url, out, HUB_ARCHIVE_RECIPIENT_CERT=str(recipient.cert_path)
    )

    archived = cli.invoke(app, ["archive", "--before", "tomorrow", "--out", str(out)])

    assert archived.exit_code == 0, archived.output
    (sealed,) = out.iterdir()  # no clear copy left beside it
    assert sealed.name.endswith(".zip.sealed")
    assert not zipfile.is_zipfile(sealed)
    opened = cli.invoke(app, ["archive", "verify", str(out), "--key", str(recipient.key_path)])
    assert opened.exit_code == 0, opened.output
    unopened = cli.invoke(app, ["archive", "verify", str(out)])
    assert unopened.exit_code == 1
    assert f"{sealed.name}: not a readable, hub-signed archive" in unopened.output
    with hub.sessions() as session:
        row = session.get_one(MessageLog, hub.delivered.hub_id)
    key = load_archive_key(recipient.key_path)
    assert ArchiveShelf(out, key).body_of(row).startswith(b"<?xml")
    with pytest.raises(BodyArchived) as locked:
        ArchiveShelf(out).body_of(row)
    assert "архив зашифрован, а ключ для него не задан" in locked.value.reason


class _DiesBeforeEmptying:
    """Sessions whose writing transaction never comes: the process died after the file."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def __call__(self) -> Session:
        return self._sessions()

    def begin(self) -> NoReturn:
        raise KeyboardInterrupt("killed between the file and the transaction")


def test_a_crash_between_the_file_and_the_transaction_leaves_a_named_orphan(hub: Hub) -> None:
    out, now = hub.folder / "archive", _now()
    dying = _DiesBeforeEmptying(hub.sessions)
    with pytest.raises(KeyboardInterrupt):
        write_archive(
            dying,  # type: ignore[arg-type]  # a sessionmaker whose begin() is the crash
            before=now + timedelta(days=1),
            now=now,
            out_dir=out,
            retention=NO_RETENTION,
            signer=hub_signer(hub.settings, hub.pki),
        )
    (orphan,) = out.iterdir()
    hub_id = hub.delivered.hub_id
    with hub.sessions() as session:
        row = session.get_one(MessageLog, hub_id)
        assert (row.archive_name, bool(row.raw)) == (None, True)  # nothing was lost
    assert hub.differences(out) == [
        f"{orphan.name}: message {hub_id}: the log does not name this archive "
        "(an orphan of an interrupted run: delete this file)"
    ]

    # The next run archives the same message again, into a file of its own.
    later = now + timedelta(seconds=1)
    written = write_archive(
        hub.sessions,
        before=later + timedelta(days=1),
        now=later,
        out_dir=out,
        retention=NO_RETENTION,
        signer=hub_signer(hub.settings, hub.pki),
    )

    assert written is not None
    assert written.path != orphan
    assert hub.differences(out) == [
        f"{orphan.name}: message {hub_id}: the log names archive {written.path.name} "
        "(an orphan of an interrupted run: delete this file)"
    ]
    orphan.unlink()
    assert hub.differences(out) == []
