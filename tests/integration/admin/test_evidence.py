"""The evidence zip holds up without the hub: xmlsec1 verifies it, hashlib recomputes the chain.

Given messages accepted through the real ingest pipeline, the exported zip's
``message.xml`` is byte for byte the stored original and verifies with an
INDEPENDENT verifier (Debian's ``xmlsec1``, which ``make test`` installs where it
can; a missing one skips locally and fails in CI), a tampered copy does not, and the chain
proof recomputes to the head with ``hashlib`` alone. ``hub evidence`` writes it for an
approved request only, once, and audits the export naming both auditors. A GOST message's
zip is checked by running its README's own commands: ``hub verify --ca`` and the
``openssl`` GOST engine's, which xmlsec1 cannot stand in for.
"""

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub.admin import EVIDENCE_FILES, TrustMaterial, export_evidence
from hub.cli import app
from hub.config import Settings
from hub.errors import NotFound
from hub.evidence_requests import approve_evidence, request_evidence
from hub.ingest import Ingestor, IngestReceipt, build_ingestor
from hub.operations import Actor
from hub.store import AuditEntry, MessageLog
from signing import DevPki, VerifyPolicy
from tests.conftest import PARTNERS, Enqueued, make_dev_pki, require_service
from tests.factories import Signers, make_envelope

AUDITOR = Actor(login="auditor", role="auditor")
SECOND_AUDITOR = Actor(login="auditor2", role="auditor")


@pytest.fixture(scope="module")
def xmlsec1() -> str:
    """Debian's xmlsec1 (``make test`` installs it; a test never installs anything)."""
    found = shutil.which("xmlsec1")
    if found is None:
        require_service("xmlsec1 (make test installs it as root)", FileNotFoundError("xmlsec1"))
    assert found is not None
    return found


@pytest.fixture
def accepted(ingestor: Ingestor, signers: Signers) -> list[IngestReceipt]:
    return [
        ingestor.ingest(signers.sign(make_envelope(sender="police")), authenticated="police")
        for _ in range(3)
    ]


def _export(session_factory: sessionmaker[Session], pki: DevPki, ref: str) -> dict[str, bytes]:
    with session_factory() as session:
        data = export_evidence(
            session, TrustMaterial.load(pki.root, VerifyPolicy()), ref, now=datetime.now(UTC)
        )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _xmlsec_verify(
    xmlsec1: str, folder: Path, files: dict[str, bytes]
) -> subprocess.CompletedProcess[str]:
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return subprocess.run(
        [xmlsec1, "--verify", "--trusted-pem", "ca.pem", "message.xml"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_the_zip_holds_the_original_and_xmlsec1_verifies_it(
    accepted: list[IngestReceipt],
    session_factory: sessionmaker[Session],
    pki: DevPki,
    xmlsec1: str,
    tmp_path: Path,
) -> None:
    files = _export(session_factory, pki, accepted[0].message_id)
    assert sorted(files) == sorted(EVIDENCE_FILES)
    with session_factory() as session:
        raw = session.get_one(MessageLog, accepted[0].hub_id).raw
    assert files["message.xml"] == raw
    assert files["ca.pem"] == (pki.root / "ca" / "ca.pem").read_bytes()
    assert files["signer-certificate.pem"].startswith(b"-----BEGIN CERTIFICATE-----")
    assert files["crl.pem"].startswith(b"-----BEGIN X509 CRL-----")
    report = json.loads(files["verification.json"])
    assert report["valid_at_reception"] is True
    assert report["signer_system"] == "police"
    assert report["revoked_now"] is False
    readme = files["README.txt"].decode()
    assert "xmlsec1 --verify --trusted-pem ca.pem message.xml" in readme
    assert "signxml" in readme

    result = _xmlsec_verify(xmlsec1, tmp_path, files)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout + result.stderr


def test_a_tampered_message_fails_xmlsec1(
    accepted: list[IngestReceipt],
    session_factory: sessionmaker[Session],
    pki: DevPki,
    xmlsec1: str,
    tmp_path: Path,
) -> None:
    files = _export(session_factory, pki, str(accepted[0].hub_id))
    files["message.xml"] = files["message.xml"].replace("Ключевская".encode(), "Садовая".encode())
    result = _xmlsec_verify(xmlsec1, tmp_path, files)
    assert result.returncode != 0
    assert "FAIL" in result.stdout + result.stderr


def test_the_chain_proof_recomputes_to_the_head_with_hashlib(
    accepted: list[IngestReceipt], session_factory: sessionmaker[Session], pki: DevPki
) -> None:
    files = _export(session_factory, pki, str(accepted[0].hub_id))
    proof = json.loads(files["chain-proof.json"])
    entry = proof["entry"]
    assert hashlib.sha256(files["message.xml"]).hexdigest() == entry["sha256"]
    link = hashlib.sha256((entry["prev_hash"] + entry["sha256"]).encode()).hexdigest()
    assert link == entry["chain_hash"]
    assert proof["previous"] is None
    assert entry["prev_hash"] == proof["genesis_hash"]
    assert [later["hub_id"] for later in proof["later"]] == [r.hub_id for r in accepted[1:]]
    for later in proof["later"]:
        assert later["prev_hash"] == link
        link = hashlib.sha256((link + later["sha256"]).encode()).hexdigest()
        assert link == later["chain_hash"]
    assert link == proof["head"]["chain_hash"]
    assert proof["head"]["length"] == 3

    # The middle message: its previous link is the first one's.
    middle = json.loads(_export(session_factory, pki, str(accepted[1].hub_id))["chain-proof.json"])
    assert middle["previous"]["chain_hash"] == entry["chain_hash"]
    assert middle["entry"]["prev_hash"] == entry["chain_hash"]


def test_an_unknown_message_has_no_evidence(
    session_factory: sessionmaker[Session], pki: DevPki
) -> None:
    with session_factory() as session, pytest.raises(NotFound):
        export_evidence(
            session, TrustMaterial.load(pki.root, VerifyPolicy()), "424242", now=datetime.now(UTC)
        )


def test_hub_evidence_writes_an_approved_requests_zip_once_and_audits_both_auditors(
    accepted: list[IngestReceipt],
    session_factory: sessionmaker[Session],
    data_dir: Path,
    database_url: str,
    tmp_path: Path,
) -> None:
    cli = CliRunner(
        env={"HUB_DATA_DIR": str(data_dir), "DATABASE_URL": database_url, "COLUMNS": "200"}
    )
    now = datetime.now(UTC)
    with session_factory.begin() as session:
        request_id = request_evidence(
            session, accepted[0].message_id, actor=AUDITOR, reason="запрос суда", now=now
        ).id
    out = tmp_path / "evidence.zip"
    unapproved = cli.invoke(app, ["evidence", str(request_id), "--out", str(out)])
    assert (unapproved.exit_code, "evidence.not_approved" in unapproved.output) == (1, True)
    assert not out.exists()
    with session_factory.begin() as session:
        approve_evidence(session, request_id, actor=SECOND_AUDITOR, now=now, ttl_s=3600)

    result = cli.invoke(app, ["evidence", str(request_id), "--out", str(out)])
    again = cli.invoke(app, ["evidence", str(request_id), "--out", str(tmp_path / "2.zip")])

    assert result.exit_code == 0, result.output
    assert "requested by auditor, approved by auditor2" in result.output
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == sorted(EVIDENCE_FILES)
    assert (again.exit_code, "evidence.already_downloaded" in again.output) == (1, True)
    with session_factory() as session:
        audit = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "evidence.export")
        ).one()
    assert audit.login.startswith("cli:")
    detail = audit.detail or ""
    assert f"hub_id={accepted[0].hub_id}" in detail
    assert "requested_by=auditor approved_by=auditor2" in detail
    assert audit.reason == "запрос суда"

    missing = cli.invoke(app, ["evidence", "987654"])
    assert (missing.exit_code, "evidence.unknown_request" in missing.output) == (1, True)


@pytest.fixture
def gost_settings(tmp_path: Path, database_url: str) -> Settings:
    """A hub on a GOST PKI that accepts GOST 256 only, police certified under it."""
    settings = Settings(
        data_dir=tmp_path / "gost", database_url=database_url, signature_providers="gost256"
    )
    make_dev_pki(settings.pki_dir, "gost", {"police": (PARTNERS["police"], None)})
    return settings


@pytest.fixture
def gost_evidence(
    gost_settings: Settings,
    session_factory: sessionmaker[Session],
    partners: dict[str, str],
    enqueued: Enqueued,
) -> dict[str, bytes]:
    """The evidence zip's files of a GOST message the real ingest pipeline accepted."""
    ingestor = build_ingestor(
        gost_settings, session_factory, clock=lambda: datetime.now(UTC), on_committed=enqueued
    )
    signed = Signers(DevPki(gost_settings.pki_dir)).sign(make_envelope(sender="police"))
    receipt = ingestor.ingest(signed, authenticated="police")
    with session_factory() as session:
        data = export_evidence(
            session,
            TrustMaterial.from_settings(gost_settings),
            receipt.message_id,
            now=datetime.now(UTC),
        )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _readme_signature_commands(readme: str) -> str:
    """The commands of the README's signature section, in order and as written: its blocks
    indented as code (the RU/EN prose starts three spaces in)."""
    section = readme.split("1. Подпись", 1)[1].split("2. Хеш-цепочка", 1)[0]
    blocks = [block for block in section.split("\n\n") if block.startswith(" " * 7)]
    return "\n".join(textwrap.dedent(block) for block in blocks)


def _run_as_a_third_party(
    folder: Path, files: dict[str, bytes], script: str, *, stop_on_error: bool
) -> subprocess.CompletedProcess[str]:
    """``script`` in a shell in ``folder`` holding the zip's files; ``python3`` and ``hub``
    are this environment's (its lxml and its ``hub verify``), ``openssl`` the system's."""
    for name, content in files.items():
        (folder / name).write_bytes(content)
    options = ["-e", "-o", "pipefail"] if stop_on_error else []
    return subprocess.run(
        ["bash", *options, "-c", script],
        cwd=folder,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_gost_messages_readme_commands_verify_it_with_the_openssl_gost_engine(
    gost_evidence: dict[str, bytes], tmp_path: Path
) -> None:
    # Given the zip of a GOST-signed message, whose README gives GOST commands, not xmlsec1
    report = json.loads(gost_evidence["verification.json"])
    assert report["valid_at_reception"] is True
    assert report["certificate"]["key_algorithm"] == "ГОСТ Р 34.10-2012, 256 бит"
    readme = gost_evidence["README.txt"].decode()
    assert "xmlsec1 --verify" not in readme
    script = _readme_signature_commands(readme)
    assert "hub verify --ca ca.pem --crl crl.pem message.xml" in script
    assert "openssl dgst -engine gost -md_gost12_256 -verify pub.pem" in script

    # When a third party runs them as written, stopping at the first failure
    good = tmp_path / "good"
    good.mkdir()
    result = _run_as_a_third_party(good, gost_evidence, script, stop_on_error=True)

    # Then the hub's check, OpenSSL's signature check over the exc-c14n SignedInfo (the
    # SignatureValue's s||r as is), the Streebog digest and the chain at reception all pass.
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VALID FamilyReferral 1.0" in result.stdout
    assert "Verified OK" in result.stdout
    assert "signer-certificate.pem: OK" in result.stdout
    # The SignatureValue went to openssl as the 64 bytes s||r, unchanged.
    assert len((good / "signature.bin").read_bytes()) == 64


def test_a_tampered_gost_message_fails_the_readme_commands(
    gost_evidence: dict[str, bytes], tmp_path: Path
) -> None:
    # Given the message's text changed after signing (SignedInfo untouched)
    files = dict(gost_evidence)
    files["message.xml"] = files["message.xml"].replace("Ключевская".encode(), "Садовая".encode())
    script = _readme_signature_commands(files["README.txt"].decode())

    # When every command is run, failures and all
    result = _run_as_a_third_party(tmp_path, files, script, stop_on_error=False)

    # Then the hub refuses it and the digest comparison fails, while SignedInfo still verifies:
    # the commands tell a changed content from a forged signature.
    assert "REFUSED signature.digest_mismatch" in result.stdout
    assert "Verified OK" in result.stdout
    assert "differ" in result.stdout + result.stderr
