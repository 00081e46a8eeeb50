"""``hub archive`` on a real database: bodies move into a signed file and read back from it.

Given referrals accepted through the real ingest pipeline and delivered through the real
delivery path (an in-memory partner transport), one left pending and one rejection: the
archive takes what is due, the log keeps metadata and its chain, ``hub archive verify``
and ``hub verify-log`` hold, and the trace, evidence and case rebuild read the body back
from the archive — or say where it went when the archive is not there.
"""

import hashlib
import io
import json
import shutil
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
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
from hub.ingest import Ingestor, IngestReceipt, hub_signer, verify_chain
from hub.regions import load_regions
from hub.sealing import seal_file
from hub.store import DeliveryStatus, MessageLog, OutboxDelivery
from hub.store import Rejection as RejectionRow
from queues import Outcome, PartnerTransports, deliver_once
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
            outcome = deliver_once(
                session_factory,
                delivery.delivery_id,
                transports=transports,
                now=_now,
                lease_s=30,
                will_retry=True,
                max_backoff_ms=1_000,
            )
            assert outcome is Outcome.DELIVERED
    finally:
        transports.close()
    return delivered, pending


def _archive(
    session_factory: sessionmaker[Session], settings: Settings, pki: DevPki, out: Path
) -> ArchiveWritten | None:
    return write_archive(
        session_factory,
        before=_now() + timedelta(days=1),
        now=_now(),
        out_dir=out,
        retention=NO_RETENTION,
        signer=hub_signer(settings, pki),
    )


@pytest.fixture
def trust(pki: DevPki) -> TrustMaterial:
    return TrustMaterial.load(pki.root, VerifyPolicy())


def test_archive_moves_delivered_bodies_and_keeps_the_chain(
    flowed: tuple[IngestReceipt, IngestReceipt],
    session_factory: sessionmaker[Session],
    settings: Settings,
    pki: DevPki,
    trust: TrustMaterial,
    tmp_path: Path,
) -> None:
    delivered, pending = flowed
    with session_factory() as session:
        original = session.get_one(MessageLog, delivered.hub_id).raw
    out = tmp_path / "archive"

    written = _archive(session_factory, settings, pki, out)

    assert written is not None
    assert (written.messages, written.deliveries, written.rejections) == (1, 2, 1)
    with session_factory() as session:
        row = session.get_one(MessageLog, delivered.hub_id)
        assert (row.raw, row.archive_name) == (b"", written.path.name)
        assert {d.payload for d in row.deliveries} == {b""}
        # The pending message keeps its body (a failure is kept until handled).
        kept = session.get_one(MessageLog, pending.hub_id)
        assert kept.archive_name is None
        assert kept.raw
        assert session.scalars(select(RejectionRow)).all() == []
        assert verify_chain(session).intact
        report = verify_archives(session, out, verifier=trust.verifier)
    assert report.intact, report.differences
    assert (report.archives, report.messages) == (1, 1)
    with zipfile.ZipFile(written.path) as archive:
        assert archive.read(f"messages/{delivered.hub_id}.xml") == original
    # Running again archives nothing twice.
    assert _archive(session_factory, settings, pki, out) is None

    with session_factory() as session:
        here = get_message_detail(
            session, str(delivered.hub_id), trust=trust, now=_now(), shelf=ArchiveShelf(out)
        )
        elsewhere = get_message_detail(
            session,
            str(delivered.hub_id),
            trust=trust,
            now=_now(),
            shelf=ArchiveShelf(tmp_path / "elsewhere"),
        )
        evidence = export_evidence(
            session, trust, str(delivered.hub_id), now=_now(), shelf=ArchiveShelf(out)
        )
    assert (here.archive_name, here.archive_note) == (written.path.name, None)
    assert here.verification is not None
    assert here.verification.valid
    assert here.chain.consistent
    assert here.masked_xml
    assert elsewhere.verification is None
    assert elsewhere.chain.consistent
    assert elsewhere.archive_note == (
        f"тело сообщения перенесено в архив {written.path.name}; "
        f"архив не найден в {tmp_path / 'elsewhere'}"
    )
    assert zipfile.ZipFile(io.BytesIO(evidence)).read("message.xml") == original


def test_case_rebuild_reads_archived_bodies_or_refuses_naming_the_archive(
    flowed: tuple[IngestReceipt, IngestReceipt],
    session_factory: sessionmaker[Session],
    settings: Settings,
    pki: DevPki,
    tmp_path: Path,
) -> None:
    written = _archive(session_factory, settings, pki, tmp_path / "archive")
    assert written is not None
    projector = CaseProjector(load_regions())

    with pytest.raises(BodyArchived) as refused, session_factory.begin() as session:
        rebuild_cases(session, projector)
    assert written.path.name in refused.value.reason
    with session_factory.begin() as session:
        shelf = ArchiveShelf(tmp_path / "archive")
        assert rebuild_cases(session, projector, bodies=shelf.body_of) == 2


def test_verify_names_each_difference(
    flowed: tuple[IngestReceipt, IngestReceipt],
    session_factory: sessionmaker[Session],
    settings: Settings,
    pki: DevPki,
    trust: TrustMaterial,
    tmp_path: Path,
) -> None:
    delivered, _ = flowed
    written = _archive(session_factory, settings, pki, tmp_path / "archive")
    assert written is not None
    name = written.path.name

    def differences(folder: Path) -> list[str]:
        with session_factory() as session:
            return verify_archives(session, folder, verifier=trust.verifier).differences

    # A body altered inside the file, rows.json left alone: the body is named.
    altered = tmp_path / "altered"
    _rewrite(written.path, altered / name, f"messages/{delivered.hub_id}.xml", b"<x/>")
    assert differences(altered) == [
        f"{name}: message {delivered.hub_id}: the body does not match its SHA-256"
    ]
    # rows.json altered: the signed manifest no longer matches it.
    rows = json.loads(zipfile.ZipFile(written.path).read("rows.json"))
    rows["messages"][0]["prev_hash"] = "0" * 64
    edited = tmp_path / "edited"
    _rewrite(written.path, edited / name, "rows.json", json.dumps(rows).encode())
    assert differences(edited) == [
        f"{name}: rows.json does not match the signed manifest (altered)"
    ]
    # The log's link changed under the archive.
    with session_factory.begin() as session:
        session.get_one(MessageLog, delivered.hub_id).chain_hash = "f" * 64
    assert differences(written.path.parent) == [
        f"{name}: message {delivered.hub_id}: chain_hash differs from the log"
    ]
    # The archive missing from the folder.
    assert differences(tmp_path) == [
        f"{name}: named by 1 message(s) in the log but not in {tmp_path}"
    ]


def _rewrite(source: Path, target: Path, entry: str, data: bytes) -> None:
    """A copy of archive ``source`` at ``target`` with ``entry`` replaced by ``data``."""
    target.parent.mkdir(parents=True)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            new.writestr(item, data if item.filename == entry else old.read(item))


def test_done_when_archive_verify_and_verify_log_on_the_command_line(
    flowed: tuple[IngestReceipt, IngestReceipt],
    session_factory: sessionmaker[Session],
    data_dir: Path,
    database_url: str,
    tmp_path: Path,
) -> None:
    delivered, _ = flowed
    retention = tmp_path / "retention.yaml"
    retention.write_text("retention:\n  default_days: 0\n", encoding="utf-8")
    out = tmp_path / "archive"
    cli = CliRunner(
        env={
            "HUB_DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "HUB_RETENTION_RULES": str(retention),
            "HUB_ARCHIVE_DIR": str(out),
            "COLUMNS": "200",
        }
    )

    archived = cli.invoke(app, ["archive", "--before", "tomorrow", "--out", str(out)])
    assert archived.exit_code == 0, archived.output
    assert "archived 1 message(s), 2 outbound copies and 1 rejection(s)" in archived.output
    verified = cli.invoke(app, ["archive", "verify", str(out)])
    assert verified.exit_code == 0, verified.output
    assert "intact: 1 archive(s), 1 message(s)" in verified.output
    log = cli.invoke(app, ["verify-log"])
    assert log.exit_code == 0, log.output

    (name,) = (p.name for p in out.iterdir())
    shutil.move(out / name, tmp_path / name)
    missing = cli.invoke(app, ["archive", "verify", str(out)])
    assert missing.exit_code == 1
    assert f"{name}: named by 1 message(s)" in missing.output
    with session_factory() as session:
        row = session.get_one(MessageLog, delivered.hub_id)
        assert hashlib.sha256(b"").hexdigest() != row.sha256  # the link keeps the real hash
        statuses = {d.status for d in session.scalars(select(OutboxDelivery))}
    assert DeliveryStatus.DELIVERED in statuses


def test_a_sealed_archive_opens_only_with_the_recipients_key(
    flowed: tuple[IngestReceipt, IngestReceipt],
    session_factory: sessionmaker[Session],
    settings: Settings,
    pki: DevPki,
    trust: TrustMaterial,
    tmp_path: Path,
) -> None:
    delivered, _ = flowed
    # Any RSA certificate of the dev PKI stands for the archive keeper's.
    recipient = pki.credentials("social")
    certificate = x509.load_pem_x509_certificate(recipient.cert_path.read_bytes())
    key = load_archive_key(recipient.key_path)
    out = tmp_path / "archive"

    written = write_archive(
        session_factory,
        before=_now() + timedelta(days=1),
        now=_now(),
        out_dir=out,
        retention=NO_RETENTION,
        signer=hub_signer(settings, pki),
        seal=lambda plain, sealed: seal_file(plain, sealed, certificate),
    )

    assert written is not None
    assert written.path.name.endswith(".zip.sealed")
    assert [p.name for p in out.iterdir()] == [written.path.name]  # no clear copy left
    assert not zipfile.is_zipfile(written.path)
    with session_factory() as session:
        assert verify_archives(session, out, verifier=trust.verifier, key=key).intact
        (unopened,) = verify_archives(session, out, verifier=trust.verifier).differences
        row = session.get_one(MessageLog, delivered.hub_id)
    assert unopened.startswith(f"{written.path.name}: not a readable, hub-signed archive")
    assert ArchiveShelf(out, key).body_of(row).startswith(b"<?xml")
    with pytest.raises(BodyArchived) as locked:
        ArchiveShelf(out).body_of(row)
    assert "архив зашифрован, а ключ для него не задан" in locked.value.reason
