"""The GOST dev PKI: every certificate and CRL is GOST, with the RSA profile, checked by OpenSSL.

The PKI is real files made by the ``openssl`` command with Debian's GOST engine; the checks
read them with pyca/cryptography (OIDs, extensions), with ``openssl verify`` (chain, CRL,
parameter set), and with the hub's own verifier, signing messages with the issued keys.
"""

from __future__ import annotations

import stat
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from lxml import etree

from signing import (
    HUB_SYSTEM_CODE,
    CertificateExpired,
    CertificateRevoked,
    DevPki,
    GostUnavailable,
    KeyAlgorithm,
    KeySizeNotAllowed,
    TrustStore,
    VerifyPolicy,
    XmlSigner,
    XmlVerifier,
)
from signing.gost import GOST_256, GOST_512
from tests.conftest import require_service

MakeEnvelope = Callable[..., etree._Element]
Parse = Callable[[bytes], etree._Element]

#: GOST R 34.10-2012 with GOST R 34.11-2012 (256 bit): the CA signs everything with it.
GOST_256_SIGNATURE = "1.2.643.7.1.1.3.2"


#: Longer than X.520's 64 characters, as full Russian names are, with DN separators in it.
KDN_ORGANISATION = (
    "Комиссия по делам несовершеннолетних и защите их прав / район + город Петропавловск-Камчатский"
)


@pytest.fixture(scope="module")
def gost_pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    """A GOST PKI that no test changes: the CA, the hub, and kdn (256) and police (512)."""
    return _gost_pki(tmp_path_factory.mktemp("gost-pki"), partners=True)


@pytest.fixture
def own_gost_pki(tmp_path: Path) -> DevPki:
    """A GOST PKI of this test's own, to revoke and rotate in."""
    return _gost_pki(tmp_path / "pki", partners=False)


def _gost_pki(root: Path, *, partners: bool) -> DevPki:
    pki = DevPki(root)
    try:
        pki.init("gost")
    except GostUnavailable as exc:
        require_service("OpenSSL's GOST engine", exc)
    if partners:
        pki.issue("kdn", KDN_ORGANISATION)
        pki.issue("police", "ОМВД России по району", algorithm="gost512")
    return pki


def _certificate(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _crl(pki: DevPki) -> x509.CertificateRevocationList:
    return x509.load_pem_x509_crl((pki.root / "crl.pem").read_bytes())


def _openssl(*arguments: str) -> str:
    result = subprocess.run(["openssl", *arguments], capture_output=True, text=True, check=False)
    return result.stdout + result.stderr


def _verify_chain(pki: DevPki, certificate: Path) -> str:
    """What ``openssl verify`` says of ``certificate`` under the CA and its current CRL."""
    return _openssl(
        "verify",
        "-engine",
        "gost",
        "-CAfile",
        str(pki.ca_certificate_path),
        "-crl_check",
        "-CRLfile",
        str(pki.root / "crl.pem"),
        str(certificate),
    )


def test_init_makes_a_gost_ca_hub_and_empty_crl_with_private_keys_0600(gost_pki: DevPki) -> None:
    root = gost_pki.root
    assert gost_pki.crypto == "gost"
    assert stat.S_IMODE((root / "ca/ca.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((root / "systems/hub/key.pem").stat().st_mode) == 0o600
    for path in [gost_pki.ca_certificate_path, gost_pki.credentials(HUB_SYSTEM_CODE).cert_path]:
        certificate = _certificate(path)
        assert certificate.public_key_algorithm_oid.dotted_string == GOST_256.key_oid
        assert certificate.signature_algorithm_oid.dotted_string == GOST_256_SIGNATURE
    ca = _certificate(gost_pki.ca_certificate_path)
    assert ca.issuer == ca.subject
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign
    assert usage.crl_sign
    crl = _crl(gost_pki)
    assert crl.signature_algorithm_oid.dotted_string == GOST_256_SIGNATURE
    assert list(crl) == []
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 1


def test_gost_256_keys_use_the_cryptopro_a_parameter_set(gost_pki: DevPki) -> None:
    systems = [gost_pki.credentials(code).cert_path for code in (HUB_SYSTEM_CODE, "kdn")]
    for path in [gost_pki.ca_certificate_path, *systems]:
        text = _openssl("x509", "-engine", "gost", "-noout", "-text", "-in", str(path))
        assert "id-GostR3410-2001-CryptoPro-A-ParamSet" in text


def test_partner_certificates_have_the_rsa_profile(gost_pki: DevPki, tmp_path: Path) -> None:
    # Given the same system issued by an RSA PKI, its organisation longer than X.520's 64
    # characters, as full Russian names are
    rsa_pki = DevPki(tmp_path / "rsa")
    rsa_pki.init()
    rsa = _certificate(rsa_pki.issue("kdn", KDN_ORGANISATION).cert_path)
    gost = _certificate(gost_pki.credentials("kdn").cert_path)

    # Then the GOST one names the same subject and carries the same extensions
    assert gost.subject == rsa.subject
    assert gost.issuer == _certificate(gost_pki.ca_certificate_path).subject
    assert [(e.oid, e.critical) for e in gost.extensions] == [
        (e.oid, e.critical) for e in rsa.extensions
    ]
    for kind in (x509.BasicConstraints, x509.KeyUsage, x509.SubjectAlternativeName):
        extension = gost.extensions.get_extension_for_class(kind)
        assert extension == rsa.extensions.get_extension_for_class(kind)
    ca = _certificate(gost_pki.ca_certificate_path)
    authority = gost.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    subject_key = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert authority.key_identifier == subject_key.digest
    san = gost.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == ["urn:family-hub:system:kdn"]


def test_a_512_bit_partner_key_is_certified_by_the_256_bit_ca(gost_pki: DevPki) -> None:
    police = _certificate(gost_pki.credentials("police").cert_path)
    assert police.public_key_algorithm_oid.dotted_string == GOST_512.key_oid
    assert police.signature_algorithm_oid.dotted_string == GOST_256_SIGNATURE


def test_a_certificate_is_valid_from_not_before_for_valid_days(own_gost_pki: DevPki) -> None:
    start = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    credentials = own_gost_pki.issue("health", "Минздрав", not_before=start, valid_days=2)
    certificate = _certificate(credentials.cert_path)
    assert certificate.not_valid_before_utc == start
    assert certificate.not_valid_after_utc == start + timedelta(days=2)
    with pytest.raises(CertificateExpired):
        TrustStore.load(own_gost_pki.root).check(certificate, now=start + timedelta(days=3))


@pytest.mark.parametrize("code", [HUB_SYSTEM_CODE, "kdn", "police"])
def test_every_certificate_chains_to_the_ca_by_openssl(gost_pki: DevPki, code: str) -> None:
    path = gost_pki.credentials(code).cert_path
    assert _verify_chain(gost_pki, path).startswith(f"{path}: OK")


def test_a_revoked_serial_is_on_a_gost_signed_crl_numbered_on(own_gost_pki: DevPki) -> None:
    # Given two partners, one revoked earlier
    pki = own_gost_pki
    pki.issue("health", "Минздрав")
    pki.issue("employment", "Центр занятости")
    pki.revoke("health")
    health_entry = _crl(pki).get_revoked_certificate_by_serial_number(
        _certificate(pki.credentials("health").cert_path).serial_number
    )
    assert health_entry is not None

    # When the other is revoked twice
    pki.revoke("employment")
    pki.revoke("employment")

    # Then the CRL lists both once, keeps the first date, counts each signing, and is GOST
    crl = _crl(pki)
    serials = [entry.serial_number for entry in crl]
    employment = _certificate(pki.credentials("employment").cert_path).serial_number
    assert sorted(serials) == sorted([health_entry.serial_number, employment])
    kept = crl.get_revoked_certificate_by_serial_number(health_entry.serial_number)
    assert kept is not None
    assert kept.revocation_date_utc == health_entry.revocation_date_utc
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 4
    assert crl.signature_algorithm_oid.dotted_string == GOST_256_SIGNATURE
    assert "certificate revoked" in _verify_chain(pki, pki.credentials("employment").cert_path)
    hub = pki.credentials(HUB_SYSTEM_CODE).cert_path
    assert _verify_chain(pki, hub).startswith(f"{hub}: OK")  # the CRL's signature holds too


def test_rotating_the_hub_key_keeps_the_old_certificate_under_retired(
    own_gost_pki: DevPki,
) -> None:
    pki = own_gost_pki
    hub = pki.credentials(HUB_SYSTEM_CODE)
    old = hub.cert_path.read_bytes()
    old_key = hub.key_path.read_bytes()

    pki.rotate_hub_key()

    retired = list((hub.cert_path.parent / "retired").iterdir())
    assert [path.read_bytes() for path in retired] == [old]
    assert retired[0].name == f"{x509.load_pem_x509_certificate(old).serial_number:x}.pem"
    assert hub.key_path.read_bytes() != old_key
    new = _certificate(hub.cert_path)
    assert new.public_key_algorithm_oid.dotted_string == GOST_256.key_oid
    assert _verify_chain(pki, hub.cert_path).startswith(f"{hub.cert_path}: OK")


def test_init_is_idempotent_and_keeps_its_crypto(own_gost_pki: DevPki) -> None:
    pki = own_gost_pki
    files = ["ca/ca.key", "ca/ca.pem", "systems/hub/key.pem", "crl.pem"]
    before = {name: (pki.root / name).read_bytes() for name in files}
    pki.init("gost")
    assert {name: (pki.root / name).read_bytes() for name in files} == before
    with pytest.raises(FileExistsError, match="is gost, not rsa"):
        pki.init("rsa")


def test_an_rsa_ca_issues_no_gost_keys(pki: DevPki) -> None:
    with pytest.raises(ValueError, match="this PKI is rsa: it does not issue gost256 keys"):
        pki.issue("refused", "Минздрав", algorithm="gost256")
    assert not (pki.root / "systems" / "refused").exists()


@pytest.mark.parametrize("algorithm", ["rsa", "ec"])
def test_a_gost_ca_certifies_rsa_and_ec_keys_for_a_mixed_region(
    own_gost_pki: DevPki, make_envelope: MakeEnvelope, parse: Parse, algorithm: KeyAlgorithm
) -> None:
    # Given an RSA or EC partner under the GOST CA, in a region accepting rsa and gost256
    pki = own_gost_pki
    path = pki.issue("health", "Минздрав", algorithm=algorithm).cert_path
    certificate = _certificate(path)
    assert certificate.signature_algorithm_oid.dotted_string == GOST_256_SIGNATURE
    assert _verify_chain(pki, path).startswith(f"{path}: OK")
    signed = parse(_signed(pki, "health", make_envelope))
    verifier = XmlVerifier(
        TrustStore.load(pki.root, crl_recheck_s=0), VerifyPolicy.for_providers({"rsa", "gost256"})
    )

    # Then its signature verifies, and is refused once the GOST CRL revokes it
    assert verifier.verify(signed, expected_sender="health").certificate == certificate
    pki.revoke("health")
    with pytest.raises(CertificateRevoked):
        verifier.verify(signed, expected_sender="health")


@pytest.mark.parametrize("missing", ["engine", "openssl"])
def test_without_the_engine_a_gost_pki_names_the_package_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    # OPENSSL_ENGINES points OpenSSL at a folder without gost.so; an empty PATH has no openssl
    monkeypatch.setenv("OPENSSL_ENGINES" if missing == "engine" else "PATH", str(tmp_path))
    pki = DevPki(tmp_path / "pki")
    with pytest.raises(GostUnavailable, match="apt-get install openssl libengine-gost-openssl"):
        pki.init("gost")
    assert not pki.exists


def _signed(pki: DevPki, code: str, make_envelope: MakeEnvelope) -> bytes:
    return XmlSigner(pki.signing_key(code)).sign(make_envelope(sender=code))


def test_a_gost_signature_by_an_issued_key_verifies_until_it_is_revoked(
    own_gost_pki: DevPki, make_envelope: MakeEnvelope, parse: Parse
) -> None:
    # Given a partner's message and the hub's, signed with keys this PKI issued
    pki = own_gost_pki
    pki.issue("police", "ОМВД России по району")
    from_police = _signed(pki, "police", make_envelope)
    from_hub = _signed(pki, HUB_SYSTEM_CODE, make_envelope)
    verifier = XmlVerifier(
        TrustStore.load(pki.root, crl_recheck_s=0), VerifyPolicy.for_providers({"gost256"})
    )

    # Then both verify under a GOST-only policy, with GOST algorithm identifiers
    assert GOST_256.signature_method.encode() in from_police
    verified = verifier.verify(parse(from_police), expected_sender="police")
    assert verified.certificate == pki.signing_key("police").certificate
    verifier.verify(parse(from_hub), expected_sender=HUB_SYSTEM_CODE)

    # When the partner's certificate is revoked, its message is refused; the hub's is not
    pki.revoke("police")
    with pytest.raises(CertificateRevoked):
        verifier.verify(parse(from_police), expected_sender="police")
    verifier.verify(parse(from_hub), expected_sender=HUB_SYSTEM_CODE)


def test_a_512_bit_partner_is_refused_where_only_256_is_allowed(
    gost_pki: DevPki, make_envelope: MakeEnvelope, parse: Parse
) -> None:
    signed = _signed(gost_pki, "police", make_envelope)
    assert GOST_512.signature_method.encode() in signed
    trust = TrustStore.load(gost_pki.root)
    only_256 = XmlVerifier(trust, VerifyPolicy.for_providers({"gost256"}))
    with pytest.raises(KeySizeNotAllowed):
        only_256.verify(parse(signed), expected_sender="police")
    both = XmlVerifier(trust, VerifyPolicy.for_providers({"gost256", "gost512"}))
    assert both.verify(parse(signed), expected_sender="police").signer.system_code == "police"


def test_a_pki_at_a_relative_root_issues_certificates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a GOST PKI at a relative root, as ``./var/pki`` is by default (``openssl`` runs
    # in a workspace of its own, where a relative CA key path does not lead)
    monkeypatch.chdir(tmp_path)
    pki = _gost_pki(Path("var") / "pki", partners=False)

    # When it issues a partner, then the certificate chains to the CA under OpenSSL.
    certificate = pki.issue("social", "КЦСОН").cert_path
    assert _certificate(certificate).subject.rfc4514_string() == "O=КЦСОН,CN=social"
    assert f"{certificate}: OK" in _verify_chain(pki, certificate)
