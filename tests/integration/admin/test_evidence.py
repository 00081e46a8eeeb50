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
from hub.ingest import (
    Ingestor,
    IngestReceipt,
    build_ingestor,
    checkpoint_folder,
    hub_signer,
    make_checkpoint,
    open_pki,
)
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


def _readme_chain_program(readme: str) -> str:
    """The README's hash-chain check, as written (the code block of section 2)."""
    section = readme.split("2. Хеш-цепочка", 1)[1].split("3. Контрольная точка", 1)[0]
    (block,) = [block for block in section.split("\n\n") if block.startswith(" " * 7)]
    return textwrap.dedent(block) + "\n"


def _checkpoint(settings: Settings, session_factory: sessionmaker[Session]) -> None:
    signer = hub_signer(settings, open_pki(settings))
    folder = checkpoint_folder(settings.data_dir)
    assert make_checkpoint(session_factory, signer, folder, now=datetime.now(UTC)) is not None


def test_the_chain_proof_recomputes_to_the_head_before_any_checkpoint(
    accepted: list[IngestReceipt],
    session_factory: sessionmaker[Session],
    pki: DevPki,
    tmp_path: Path,
) -> None:
    files = _export(session_factory, pki, str(accepted[0].hub_id))
    proof = json.loads(files["chain-proof.json"])
    assert proof["entry"]["chain_version"] == 2
    assert json.loads(proof["entry"]["record"])["message_id"] == accepted[0].message_id
    assert proof["previous"] is None
    assert [later["hub_id"] for later in proof["later"]] == [r.hub_id for r in accepted[1:]]
    assert (proof["checkpoint"], files["checkpoint.xml"]) == (None, b"")
    script = _readme_chain_program(files["README.txt"].decode())
    result = _run_as_a_third_party(
        tmp_path, files, f"python3 - <<'EOF'\n{script}EOF\n", stop_on_error=True
    )
    assert result.returncode == 0, result.stderr
    assert "chain OK up to the head" in result.stdout

    # The middle message: its previous link is the first one's.
    middle = json.loads(_export(session_factory, pki, str(accepted[1].hub_id))["chain-proof.json"])
    assert middle["previous"]["chain_hash"] == proof["entry"]["chain_hash"]
    assert middle["entry"]["prev_hash"] == proof["entry"]["chain_hash"]


def test_the_chain_proof_reaches_the_first_signed_checkpoint_covering_the_message(
    accepted: list[IngestReceipt],
    settings: Settings,
    session_factory: sessionmaker[Session],
    ingestor: Ingestor,
    signers: Signers,
    pki: DevPki,
    xmlsec1: str,
    tmp_path: Path,
) -> None:
    # Given a checkpoint after the three messages, and a fourth message after it
    _checkpoint(settings, session_factory)
    ingestor.ingest(signers.sign(make_envelope(sender="police")), authenticated="police")
    files = _export(session_factory, pki, str(accepted[1].hub_id))
    proof = json.loads(files["chain-proof.json"])
    # Then the proof ends at the checkpoint (length 3), not at the head (length 4)
    assert proof["checkpoint"]["length"] == 3
    assert proof["head"]["length"] == 4
    assert [later["hub_id"] for later in proof["later"]] == [accepted[2].hub_id]
    readme = files["README.txt"].decode()
    assert "xmlsec1 --verify --trusted-pem ca.pem checkpoint.xml" in readme

    # When a third party runs the README's checks: xmlsec1 on the checkpoint, the chain program
    good = tmp_path / "good"
    good.mkdir()
    script = _readme_chain_program(readme)
    checked = _run_as_a_third_party(
        good,
        files,
        f"xmlsec1 --verify --trusted-pem ca.pem checkpoint.xml\npython3 - <<'EOF'\n{script}EOF\n",
        stop_on_error=True,
    )
    assert checked.returncode == 0, checked.stderr
    assert "chain OK up to the signed checkpoint" in checked.stdout

    # And a record edited in the proof (the reception time moved) no longer recomputes
    forged = dict(files)
    entry = proof["entry"]
    record = json.loads(entry["record"])
    record["received_at"] = "2020-01-01T00:00:00.000000Z"
    entry["record"] = json.dumps(record, sort_keys=True, separators=(",", ":"))
    forged["chain-proof.json"] = json.dumps(proof).encode()
    bad = tmp_path / "bad"
    bad.mkdir()
    failed = _run_as_a_third_party(
        bad, forged, f"python3 - <<'EOF'\n{script}EOF\n", stop_on_error=True
    )
    assert failed.returncode != 0
    assert "AssertionError" in failed.stderr


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
