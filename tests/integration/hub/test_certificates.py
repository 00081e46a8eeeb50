"""Key and certificate lifecycle, with real signatures on SQLite and PostgreSQL.

A partner's certificate rotates with an overlap (then the old one is refused as retired),
a certificate it never registered is refused, a revocation refuses its messages from
then on while the ones accepted before stay valid in the log, and the hub's own key
rotates under a running ingest. Each rotation and revocation leaves an audit entry.
"""

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub.admin.trace import TrustMaterial, verification_report
from hub.cli.app import app
from hub.config import Settings
from hub.errors import Rejection
from hub.ingest import (
    Ingestor,
    RegisteredCertificates,
    build_ingestor,
    build_inspector,
    verify_chain,
)
from hub.onboarding import onboard_partner, revoke_partner_certificate, rotate_partner_certificate
from hub.operations import Actor
from hub.partners import get_partner, revoke_certificates
from hub.store import AuditEntry, MessageLog, OutboxDelivery, PartnerCertificate
from schemas import DSIG_NS, parse_xml
from signing import (
    HUB_SYSTEM_CODE,
    CertificateUntrusted,
    DevPki,
    SignerIdentity,
    SignerNotSender,
    TrustStore,
    VerifyPolicy,
    XmlSigner,
    XmlVerifier,
)
from tests.conftest import PARTNERS, Enqueued
from tests.factories import make_envelope
from tests.integration.hub.test_ingest import _refused

ADMIN = Actor(login="cli:test", role="operator")
HOUR = timedelta(hours=1)


@dataclass
class Clock:
    """The ingest's clock, moved by the test (certificates stay valid: the trust store
    judges them at the real time)."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC))


@pytest.fixture
def hub(
    settings: Settings,
    session_factory: sessionmaker[Session],
    partners: dict[str, str],
    pki: DevPki,
    clock: Clock,
    enqueued: Enqueued,
) -> Ingestor:
    """An ingest that looks at the CRL and its key files on every message, police onboarded
    (so its certificate is on record); the other partners are as before migration 0006."""
    with session_factory.begin() as session:
        onboard(session, pki, settings, clock.now)
    return build_ingestor(
        settings.model_copy(update={"crl_recheck_s": 0}),
        session_factory,
        clock=clock,
        on_committed=enqueued,
    )


def onboard(session: Session, pki: DevPki, settings: Settings, now: datetime) -> None:
    onboard_partner(
        session,
        pki,
        data_dir=settings.data_dir,
        code="police",
        organisation=PARTNERS["police"],
        endpoint=None,
        now=now,
        # The ``partners`` fixture registered it as before migration 0006: onboard it again.
        replace_existing=True,
    )


def rotate(
    session: Session,
    pki: DevPki,
    settings: Settings,
    now: datetime,
    *,
    overlap: timedelta = 24 * HOUR,
    reason: str | None = None,
    brought_pem: bytes | None = None,
) -> PartnerCertificate:
    """Rotate the police's certificate as an administrator."""
    return rotate_partner_certificate(
        session,
        pki,
        data_dir=settings.data_dir,
        code="police",
        now=now,
        overlap=overlap,
        actor=ADMIN,
        reason=reason,
        brought_pem=brought_pem,
    )


def police_signer(pki: DevPki) -> XmlSigner:
    """The police's current key, as its adapter loads it."""
    return XmlSigner(pki.signing_key("police"))


def send(hub: Ingestor, signer: XmlSigner, clock: Clock) -> bytes:
    raw = signer.sign(make_envelope(sender="police", created_at=clock.now))
    hub.ingest(raw, authenticated="police")
    return raw


def audit(session_factory: sessionmaker[Session], action: str) -> list[str]:
    with session_factory() as session:
        return list(
            session.scalars(
                select(AuditEntry.detail).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def test_a_rotated_certificate_signs_alongside_the_old_one_until_the_overlap_ends(
    hub: Ingestor,
    pki: DevPki,
    settings: Settings,
    session_factory: sessionmaker[Session],
    clock: Clock,
) -> None:
    # Given the police signing with the certificate onboarding registered
    old, old_serial = police_signer(pki), f"{pki.signing_key('police').certificate.serial_number:x}"
    send(hub, old, clock)

    # When its certificate is rotated with a 24-hour overlap
    with session_factory.begin() as session:
        row = rotate(session, pki, settings, clock.now, reason="yearly rotation")
    new, new_certificate = police_signer(pki), pki.signing_key("police").certificate

    # Then the new key is in its bundle, and both certificates sign during the overlap
    bundle = settings.data_dir / "partners" / "police"
    assert x509.load_pem_x509_certificate((bundle / "cert.pem").read_bytes()) == new_certificate
    assert row.serial_hex == f"{new_certificate.serial_number:x}"
    clock.now += 23 * HOUR
    send(hub, old, clock)
    send(hub, new, clock)

    # And after it only the new one does; the old one is refused as retired, and recorded
    clock.now += 2 * HOUR
    retired = old.sign(make_envelope(sender="police", created_at=clock.now))
    refusal = _refused(hub, session_factory, retired, "signature.certificate_retired")
    assert old_serial in refusal.detail
    send(hub, new, clock)
    [entry] = audit(session_factory, "partner.rotate_cert")
    assert entry == (f"partner=police serial={row.serial_hex} overlap_h=24 earlier={old_serial}")


def test_a_certificate_the_partner_did_not_register_is_refused(
    hub: Ingestor, pki: DevPki, session_factory: sessionmaker[Session], clock: Clock
) -> None:
    # Given a certificate the CA issued to the police, but never registered with the hub
    pki.issue("police", PARTNERS["police"])
    unregistered = police_signer(pki)

    # Then it chains and names the Sender, and still is refused
    raw = unregistered.sign(make_envelope(sender="police", created_at=clock.now))
    _refused(hub, session_factory, raw, "signature.certificate_unknown")


def test_partners_without_a_registered_certificate_are_bound_by_the_ca_alone(
    hub: Ingestor, pki: DevPki, clock: Clock
) -> None:
    # kdn was registered as before migration 0006 (no certificate on record): any
    # certificate of the CA naming kdn signs for it, until its first rotation.
    pki.issue("kdn", PARTNERS["kdn"])
    raw = XmlSigner(pki.signing_key("kdn")).sign(make_envelope(sender="kdn", created_at=clock.now))
    assert hub.ingest(raw, authenticated="kdn").message_id


def test_a_revoked_certificate_is_refused_from_then_on_and_earlier_messages_stay_valid(
    hub: Ingestor,
    pki: DevPki,
    settings: Settings,
    database_url: str,
    session_factory: sessionmaker[Session],
    clock: Clock,
) -> None:
    # Given two police messages accepted and delivered-to-be
    police = police_signer(pki)
    accepted = [send(hub, police, clock), send(hub, police, clock)]

    # When the police certificate is revoked (the dev CA publishes a new CRL)
    with session_factory.begin() as session:
        [row] = revoke_partner_certificate(
            session, pki, code="police", now=clock.now, actor=ADMIN, reason="key leaked"
        )

    # Then its next message is refused as revoked, by this hub and by any other verifier
    raw = police.sign(make_envelope(sender="police", created_at=clock.now))
    _refused(hub, session_factory, raw, "signature.revoked")
    with pytest.raises(Rejection) as offline:
        build_inspector(settings, pki).inspect(raw)
    assert offline.value.code == "signature.revoked"
    assert row.revoked_at == clock.now

    # And the messages accepted before stay in the log, the chain intact, each still
    # verifying at its reception (the trace reports the revocation beside it)
    with session_factory() as session:
        logged = session.scalars(select(MessageLog).order_by(MessageLog.id)).all()
        assert [m.raw for m in logged] == accepted
        assert verify_chain(session).intact
        trust = TrustMaterial.load(pki.root, VerifyPolicy())
        for message in logged:
            report = verification_report(
                message.raw,
                sender="police",
                received_at=message.received_at,
                trust=trust,
                now=datetime.now(UTC),
            )
            assert (report.valid, report.revoked_now) == (True, True)
    assert audit(session_factory, "partner.revoke_cert") == [
        f"partner=police serial={row.serial_hex} crl=published"
    ]
    env = {"HUB_DATA_DIR": str(settings.data_dir), "DATABASE_URL": database_url}
    verified = CliRunner().invoke(app, ["verify-log"], env=env)
    assert verified.exit_code == 0, verified.output
    assert "intact: 2 message(s)" in verified.output


def test_revoking_one_certificate_during_an_overlap_keeps_the_other(
    hub: Ingestor,
    pki: DevPki,
    settings: Settings,
    session_factory: sessionmaker[Session],
    clock: Clock,
) -> None:
    old = police_signer(pki)
    with session_factory.begin() as session:
        rotate(session, pki, settings, clock.now)
        fingerprint = session.scalars(
            select(PartnerCertificate.fingerprint_sha256).order_by(PartnerCertificate.id)
        ).first()
        assert fingerprint is not None
        revoke_partner_certificate(
            session,
            pki,
            code="police",
            now=clock.now,
            actor=ADMIN,
            reason="old key leaked",
            fingerprint=fingerprint,
        )
    raw = old.sign(make_envelope(sender="police", created_at=clock.now))
    _refused(hub, session_factory, raw, "signature.revoked")
    send(hub, police_signer(pki), clock)


def test_a_certificate_brought_from_the_ca_must_be_trusted_and_name_the_partner(
    hub: Ingestor,
    pki: DevPki,
    settings: Settings,
    session_factory: sessionmaker[Session],
    clock: Clock,
    tmp_path: Path,
) -> None:
    def bring(pem: bytes) -> None:
        with session_factory.begin() as session:
            rotate(session, pki, settings, clock.now, overlap=HOUR, brought_pem=pem)

    # A certificate of another CA, and one of this CA naming another system, are refused
    foreign = DevPki(tmp_path / "foreign")
    foreign.init()
    foreign.issue("police", PARTNERS["police"], algorithm="ec")
    with pytest.raises(CertificateUntrusted):
        bring(foreign.credentials("police").cert_path.read_bytes())
    with pytest.raises(SignerNotSender):
        bring(pki.credentials("social").cert_path.read_bytes())

    # A certificate the partner got from the CA (its key never leaves it) is registered
    pki.issue("police", PARTNERS["police"], algorithm="ec")
    bring(pki.credentials("police").cert_path.read_bytes())
    send(hub, police_signer(pki), clock)
    with session_factory() as session:
        assert len(session.scalars(select(PartnerCertificate)).all()) == 2


def _hub_certificate(copy: bytes) -> x509.Certificate:
    """The certificate in the hub's signature of an outbound copy."""
    found = parse_xml(copy).find(f"{{{DSIG_NS}}}Signature//{{{DSIG_NS}}}X509Certificate")
    assert found is not None
    assert found.text
    return x509.load_der_x509_certificate(base64.b64decode("".join(found.text.split())))


def test_the_hubs_key_rotates_under_a_running_ingest(
    hub: Ingestor, pki: DevPki, session_factory: sessionmaker[Session], clock: Clock
) -> None:
    # Given an outbound copy signed with the hub's first key
    police = police_signer(pki)
    send(hub, police, clock)
    first = pki.signing_key(HUB_SYSTEM_CODE).certificate

    # When the hub's key is rotated while the ingest runs
    pki.rotate_hub_key()
    second = pki.signing_key(HUB_SYSTEM_CODE).certificate
    send(hub, police, clock)

    # Then copies signed after it carry the new certificate, the old one is kept, and a
    # partner verifying through the CA accepts the copies of both keys
    with session_factory() as session:
        copies = session.scalars(select(OutboxDelivery.payload).order_by(OutboxDelivery.id)).all()
    signed_by = {_hub_certificate(copy).serial_number for copy in copies}
    assert signed_by == {first.serial_number, second.serial_number}
    assert _hub_certificate(copies[-1]) == second
    kept = pki.root / "systems" / "hub" / "retired" / f"{first.serial_number:x}.pem"
    assert x509.load_pem_x509_certificate(kept.read_bytes()) == first
    partner_side = XmlVerifier(
        TrustStore(x509.load_pem_x509_certificates(pki.ca_certificate_path.read_bytes()))
    )
    for copy in copies:
        verified = partner_side.verify(parse_xml(copy), expected_sender=HUB_SYSTEM_CODE)
        assert etree.QName(verified.signed_xml).localname == "Envelope"


def test_the_cli_rotates_and_revokes_certificates_and_the_hub_key_with_audit(
    hub: Ingestor,
    pki: DevPki,
    settings: Settings,
    database_url: str,
    session_factory: sessionmaker[Session],
) -> None:
    env = {"HUB_DATA_DIR": str(settings.data_dir), "DATABASE_URL": database_url}
    runner = CliRunner()
    before = pki.signing_key("police").certificate

    rotated = runner.invoke(
        app, ["partners", "rotate-cert", "police", "--overlap-hours", "2"], env=env
    )
    assert rotated.exit_code == 0, rotated.output
    after = pki.signing_key("police").certificate
    assert f"serial {after.serial_number:x}" in rotated.output

    bad = settings.data_dir / "bad.pem"
    bad.write_bytes(pki.credentials("social").cert_path.read_bytes())
    refused = runner.invoke(app, ["partners", "rotate-cert", "police", "--cert", str(bad)], env=env)
    assert refused.exit_code == 1
    assert "names 'social', not 'police'" in refused.stderr

    listed = runner.invoke(app, ["partners", "certs", "police"], env=env)
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert [line.split()[0] for line in lines] == [
        f"serial={before.serial_number:x}",
        f"serial={after.serial_number:x}",
    ]
    assert f"sha256={after.fingerprint(hashes.SHA256()).hex()} " in lines[1]
    assert lines[1].endswith("accepted_until=- revoked=-")

    revoked = runner.invoke(
        app, ["partners", "revoke-cert", "police", "--reason", "key leaked"], env=env
    )
    assert revoked.exit_code == 0, revoked.output
    crl = x509.load_pem_x509_crl((pki.root / "crl.pem").read_bytes())
    assert {entry.serial_number for entry in crl} == {before.serial_number, after.serial_number}

    hub_before = pki.signing_key(HUB_SYSTEM_CODE).certificate
    key = runner.invoke(app, ["pki", "rotate-hub-key", "--reason", "yearly"], env=env)
    assert key.exit_code == 0, key.output
    hub_after = pki.signing_key(HUB_SYSTEM_CODE).certificate
    assert hub_after.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != hub_before.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    with session_factory() as session:
        actions = session.execute(
            select(AuditEntry.action, AuditEntry.reason).order_by(AuditEntry.id)
        ).all()
    assert [tuple(row) for row in actions] == [
        ("partner.rotate_cert", None),
        ("partner.revoke_cert", "key leaked"),
        ("pki.rotate_hub_key", "yearly"),
    ]
    assert audit(session_factory, "pki.rotate_hub_key") == [
        f"serial={hub_after.serial_number:x} earlier={hub_before.serial_number:x}"
    ]


def test_without_the_ca_key_a_revocation_is_the_hubs_own_until_the_ca_publishes(
    hub: Ingestor, pki: DevPki, session_factory: sessionmaker[Session], clock: Clock
) -> None:
    # Given a production layout: the region's CA keeps its key, the hub has only ca.pem
    (pki.root / "ca" / "ca.key").unlink()
    crl_before = (pki.root / "crl.pem").read_bytes()
    police = police_signer(pki)

    # When the hub revokes the police certificate
    with session_factory.begin() as session:
        revoke_partner_certificate(
            session, DevPki(pki.root), code="police", now=clock.now, actor=ADMIN, reason="leak"
        )

    # Then the hub refuses it at once, though the CA has not published a CRL yet
    assert (pki.root / "crl.pem").read_bytes() == crl_before
    raw = police.sign(make_envelope(sender="police", created_at=clock.now))
    _refused(hub, session_factory, raw, "signature.revoked")
    assert audit(session_factory, "partner.revoke_cert")[0].endswith("crl=left to the CA")


class Seconds:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def police_identity(pki: DevPki) -> SignerIdentity:
    """The police's current certificate, as the verifier reports its signer."""
    pem = pki.credentials("police").cert_path.read_bytes()
    return SignerIdentity.from_certificate(x509.load_pem_x509_certificate(pem))


def test_a_remembered_record_lets_a_revocation_through_the_hub_act_within_its_bound(
    pki: DevPki, settings: Settings, session_factory: sessionmaker[Session], clock: Clock
) -> None:
    # Given the police onboarded and its record remembered for 5 s once it let a message in
    with session_factory.begin() as session:
        onboard(session, pki, settings, clock.now)
    seconds = Seconds()
    certificates = RegisteredCertificates(ttl_s=5, clock=seconds)
    old = police_identity(pki)
    with session_factory() as session:
        certificates.check(session, sender="police", signer=old, now=clock.now)

    # When the hub revokes the certificate in its record
    with session_factory.begin() as session:
        revoke_certificates(session, get_partner(session, "police"), now=clock.now)

    # Then the remembered record lets it sign within the 5 s, and the record read after refuses it
    with session_factory() as session:
        seconds.now = 4.9
        certificates.check(session, sender="police", signer=old, now=clock.now)
        seconds.now = 5.0
        with pytest.raises(Rejection) as refusal:
            certificates.check(session, sender="police", signer=old, now=clock.now)
    assert refusal.value.code == "signature.revoked"


def test_a_certificate_registered_after_the_record_was_remembered_signs_at_once(
    pki: DevPki, settings: Settings, session_factory: sessionmaker[Session], clock: Clock
) -> None:
    with session_factory.begin() as session:
        onboard(session, pki, settings, clock.now)
    certificates = RegisteredCertificates(ttl_s=5, clock=Seconds())
    old = police_identity(pki)
    with session_factory() as session:
        certificates.check(session, sender="police", signer=old, now=clock.now)

    # A rotation registers a new certificate, which the remembered record does not name
    with session_factory.begin() as session:
        rotate(session, pki, settings, clock.now)
    new = police_identity(pki)
    assert new.fingerprint_sha256 != old.fingerprint_sha256
    with session_factory() as session:
        certificates.check(session, sender="police", signer=new, now=clock.now)
        # and the old one's overlap still ends at its moment
        with pytest.raises(Rejection) as retired:
            certificates.check(session, sender="police", signer=old, now=clock.now + 24 * HOUR)
    assert retired.value.code == "signature.certificate_retired"
