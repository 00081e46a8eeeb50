"""The trust store: chain, key usage, identity, validity, revocation and the verdict cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from signing import (
    CertificateExpired,
    CertificateRevoked,
    CertificateUntrusted,
    DevPki,
    SigningKey,
    TrustStore,
)


def _now() -> datetime:
    """The time of the check; not the module's import time, which can precede the PKI."""
    return datetime.now(UTC)


def _ca(pki: DevPki) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = serialization.load_pem_private_key((pki.root / "ca/ca.key").read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key, x509.load_pem_x509_certificate((pki.root / "ca/ca.pem").read_bytes())


def _certificate(
    pki: DevPki,
    *,
    common_name: str = "police",
    san: list[str] | None = None,
    digital_signature: bool = True,
    content_commitment: bool = True,
) -> x509.Certificate:
    """A certificate from the dev CA with the given (possibly wrong) identity and usage."""
    ca_key, ca_cert = _ca(pki)
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - timedelta(days=1))
        .not_valid_after(_now() + timedelta(days=1))
        .add_extension(
            x509.KeyUsage(
                digital_signature=digital_signature,
                content_commitment=content_commitment,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    uris = ["urn:family-hub:system:police"] if san is None else san
    if uris:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(u) for u in uris]),
            critical=False,
        )
    return builder.sign(ca_key, hashes.SHA256())


def test_a_dev_pki_certificate_is_trusted(trust_store: TrustStore, police_key: SigningKey) -> None:
    trust_store.check(police_key.certificate, now=_now())


def test_verdict_is_computed_once_per_fingerprint(
    trust_store: TrustStore, police_key: SigningKey, kdn_key: SigningKey
) -> None:
    for _ in range(3):
        trust_store.check(police_key.certificate, now=_now())
    trust_store.check(kdn_key.certificate, now=_now())
    info = trust_store.cache_info()
    assert (info.misses, info.hits, info.currsize) == (2, 2, 2)


def test_cache_is_bounded(pki: DevPki, police_key: SigningKey, kdn_key: SigningKey) -> None:
    store = TrustStore([_ca(pki)[1]], cache_size=1)
    store.check(police_key.certificate, now=_now())
    store.check(kdn_key.certificate, now=_now())
    store.check(police_key.certificate, now=_now())
    assert store.cache_info().currsize == 1
    assert store.cache_info().misses == 3


def test_cached_certificate_past_not_after_is_expired_and_evicted(
    trust_store: TrustStore, police_key: SigningKey
) -> None:
    trust_store.check(police_key.certificate, now=_now())
    later = police_key.certificate.not_valid_after_utc + timedelta(hours=1)
    with pytest.raises(CertificateExpired):
        trust_store.check(police_key.certificate, now=later)
    assert trust_store.cache_info().currsize == 0


def test_clock_skew_widens_validity(trust_store: TrustStore, police_key: SigningKey) -> None:
    just_after = police_key.certificate.not_valid_after_utc + timedelta(seconds=60)
    with pytest.raises(CertificateExpired):
        trust_store.check(police_key.certificate, now=just_after)
    trust_store.check(police_key.certificate, now=just_after, max_clock_skew=timedelta(minutes=5))


def test_update_crls_drops_cached_verdicts(pki: DevPki) -> None:
    # Given a trusted, cached certificate
    pki.issue("crl-cache", "Тест", algorithm="ec")
    certificate = pki.signing_key("crl-cache").certificate
    store = pki.trust_store()
    store.check(certificate, now=_now())
    # When it is revoked and the running store is handed the new CRL
    pki.revoke("crl-cache")
    store.update_crls([x509.load_pem_x509_crl((pki.root / "crl.pem").read_bytes())])
    # Then the cached verdict no longer holds
    with pytest.raises(CertificateRevoked):
        store.check(certificate, now=_now())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"san": []},
        {"san": ["urn:family-hub:system:police", "urn:family-hub:system:kdn"]},
        {"san": ["urn:family-hub:system:Police!"]},
        {"san": ["https://police.example"]},
        {"common_name": "kdn"},
        {"digital_signature": False},
        {"content_commitment": False},
    ],
)
def test_certificate_without_identity_or_signer_usage_is_untrusted(
    pki: DevPki, trust_store: TrustStore, kwargs: dict[str, object]
) -> None:
    with pytest.raises(CertificateUntrusted):
        trust_store.check(_certificate(pki, **kwargs), now=_now())  # type: ignore[arg-type]


def test_ca_certificate_cannot_sign_messages(pki: DevPki, trust_store: TrustStore) -> None:
    with pytest.raises(CertificateUntrusted):
        trust_store.check(_ca(pki)[1], now=_now())


def test_certificate_from_another_ca_is_untrusted(
    trust_store: TrustStore, other_pki: DevPki
) -> None:
    with pytest.raises(CertificateUntrusted):
        trust_store.check(other_pki.signing_key("police").certificate, now=_now())


def test_leaf_certificate_is_refused_as_a_ca(police_key: SigningKey) -> None:
    with pytest.raises(ValueError, match="basicConstraints"):
        TrustStore([police_key.certificate])


def test_crl_of_another_ca_is_refused(pki: DevPki, other_pki: DevPki) -> None:
    foreign = x509.load_pem_x509_crl((other_pki.root / "crl.pem").read_bytes())
    with pytest.raises(ValueError, match="CRL"):
        TrustStore([_ca(pki)[1]], [foreign])


def test_naive_now_is_refused(trust_store: TrustStore, police_key: SigningKey) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        trust_store.check(police_key.certificate, now=datetime(2026, 11, 24))


def test_a_running_store_sees_a_new_revocation_without_a_restart(tmp_path: Path) -> None:
    # Given a store loaded once, that looks at the CRL file on every check
    pki = DevPki(tmp_path / "pki")
    pki.init()
    police = pki.issue("police", "ОМВД").cert_path
    certificate = x509.load_pem_x509_certificate(police.read_bytes())
    store = TrustStore.load(pki.root, crl_recheck_s=0)
    store.check(certificate, now=datetime.now(UTC))

    # When the CA revokes the certificate
    pki.revoke("police")

    # Then the same store refuses it
    with pytest.raises(CertificateRevoked):
        store.check(certificate, now=datetime.now(UTC))


def test_the_crl_file_is_looked_at_no_more_often_than_asked(tmp_path: Path) -> None:
    pki = DevPki(tmp_path / "pki")
    pki.init()
    certificate = x509.load_pem_x509_certificate(pki.issue("police", "ОМВД").cert_path.read_bytes())
    store = TrustStore.load(pki.root, crl_recheck_s=3600)
    store.check(certificate, now=datetime.now(UTC))  # the first look reads the file

    pki.revoke("police")

    # Within the hour the store still holds the old list: the certificate is accepted.
    store.check(certificate, now=datetime.now(UTC))
    assert store.cache_info().hits == 1


# --- Standing: the issuing CA and revocation as of now, for a certificate accepted before --


def _fresh_pki(root: Path) -> DevPki:
    pki = DevPki(root)
    pki.init()
    pki.issue("police", "ОМВД", algorithm="ec")
    return pki


def _police_certificate(pki: DevPki) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pki.credentials("police").cert_path.read_bytes())


def test_a_certificate_not_on_its_cas_crl_stands_unrevoked(
    pki: DevPki, trust_store: TrustStore, police_key: SigningKey
) -> None:
    standing = trust_store.standing(police_key.certificate)
    assert standing.issuer == _ca(pki)[1]
    assert (standing.revoked, standing.revoked_at) == (False, None)


def test_a_revocation_after_loading_shows_with_its_date(tmp_path: Path) -> None:
    # Given a store loaded while the police certificate was good
    pki = _fresh_pki(tmp_path / "pki")
    certificate = _police_certificate(pki)
    store = TrustStore.load(pki.root, crl_recheck_s=0)
    assert store.standing(certificate).revoked is False

    # When the CA revokes it
    before = datetime.now(UTC).replace(microsecond=0)
    pki.revoke("police")

    # Then the same store reports it revoked, since the CRL's date, and holds the new CRL
    standing = store.standing(certificate)
    assert standing.revoked is True
    assert standing.revoked_at is not None
    assert before <= standing.revoked_at <= datetime.now(UTC)
    (crl,) = store.crls
    assert crl.get_revoked_certificate_by_serial_number(certificate.serial_number) is not None


def test_a_certificate_of_an_unknown_issuer_has_no_standing(
    trust_store: TrustStore, other_pki: DevPki
) -> None:
    standing = trust_store.standing(other_pki.signing_key("police").certificate)
    assert (standing.issuer, standing.revoked, standing.revoked_at) == (None, None, None)


def test_only_the_issuers_own_crl_speaks_of_its_certificates(tmp_path: Path) -> None:
    # Given two trusted CAs, and only the second publishes a CRL, revoking the very serial
    # the first CA gave the police certificate
    first, second = _fresh_pki(tmp_path / "first"), _fresh_pki(tmp_path / "second")
    certificate = _police_certificate(first)
    second.revoke_serial(certificate.serial_number)
    store = TrustStore(
        [_ca(first)[1], _ca(second)[1]],
        [x509.load_pem_x509_crl((second.root / "crl.pem").read_bytes())],
    )

    # Then the first CA is its issuer, whether it is revoked is unknown, not True, and it
    # still signs: the CAs share a name, but the CRL is the second one's
    standing = store.standing(certificate)
    assert standing.issuer == _ca(first)[1]
    assert (standing.revoked, standing.revoked_at) == (None, None)
    store.check(certificate, now=_now())
    # while the second CA's own certificate of that name is judged by its CRL
    assert store.standing(_police_certificate(second)).revoked is False
