"""The GOST provider behind XmlSigner/XmlVerifier: the bytes it writes, and which algorithm
it accepts with which key, each refusal with its own code.

Real keys and certificates from a GOST dev PKI (the system OpenSSL's GOST engine), beside the
RSA PKI of conftest.py.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from hub.config import Settings
from hub.ingest.factory import require_accepted_algorithm, verify_policy
from hub.ingest.rejections import rejection_from
from signing import (
    AlgorithmMismatch,
    AlgorithmNotAllowed,
    CertificateNotGost,
    DevPki,
    SigningError,
    SigningKey,
    TrustStore,
    VerifyPolicy,
    XmlSigner,
    XmlVerifier,
    provider_of,
)
from signing.gost import GOST_256, GostPublicKey, streebog
from tests.unit.signing.conftest import parse_xml

MakeEnvelope = Callable[..., etree._Element]
_DS = "{http://www.w3.org/2000/09/xmldsig#}"
_GOST_256_ONLY = VerifyPolicy.for_providers({"gost256"})


@pytest.fixture(scope="module")
def gost_pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    pki = DevPki(tmp_path_factory.mktemp("gost-pki"))
    pki.init(crypto="gost")
    pki.issue("police", "ОМВД России по району")
    pki.issue("health", "ГБУЗ «Детская поликлиника»", algorithm="gost512")
    return pki


@pytest.fixture(scope="module")
def gost_police(gost_pki: DevPki) -> SigningKey:
    return gost_pki.signing_key("police")


@pytest.fixture
def gost_signed(gost_police: SigningKey, make_envelope: MakeEnvelope) -> bytes:
    return XmlSigner(gost_police).sign(make_envelope())


def _signature(document: etree._Element) -> etree._Element:
    signature = document.find(_DS + "Signature")
    assert signature is not None
    return signature


def _text(document: etree._Element, path: str) -> str:
    found = _signature(document).find(path)
    assert found is not None
    assert found.text is not None
    return found.text


def _refusal(
    verifier: XmlVerifier, document: bytes | etree._Element, sender: str = "police"
) -> SigningError:
    tree = parse_xml(document) if isinstance(document, bytes) else document
    with pytest.raises(SigningError) as caught:
        verifier.verify(tree, expected_sender=sender)
    return caught.value


def test_a_gost_signature_carries_smevs_uris_and_the_raw_streebog_of_the_envelope(
    gost_signed: bytes, make_envelope: MakeEnvelope
) -> None:
    document = parse_xml(gost_signed)
    info = f"{_DS}SignedInfo/"
    method = _signature(document).find(info + _DS + "SignatureMethod")
    digest_method = _signature(document).find(f"{info}{_DS}Reference/{_DS}DigestMethod")
    assert method is not None
    assert method.get("Algorithm") == GOST_256.signature_method
    assert digest_method is not None
    assert digest_method.get("Algorithm") == GOST_256.digest_method
    # The digest is recomputed here from the unsigned envelope, not read back from the signer.
    canonical = etree.tostring(make_envelope(), method="c14n", exclusive=True)
    digest = _text(document, f"{info}{_DS}Reference/{_DS}DigestValue")
    assert base64.b64decode(digest) == streebog(canonical, 256)
    assert len(base64.b64decode(_text(document, _DS + "SignatureValue"))) == 64


def test_the_signature_value_is_over_the_canonical_signed_info(
    gost_signed: bytes, gost_police: SigningKey
) -> None:
    signed_info = _signature(parse_xml(gost_signed)).find(_DS + "SignedInfo")
    assert signed_info is not None
    canonical = etree.tostring(signed_info, method="c14n", exclusive=True)
    value = base64.b64decode(_text(parse_xml(gost_signed), _DS + "SignatureValue"))
    key = GostPublicKey.from_certificate(gost_police.certificate)
    assert key.verify(canonical, value)
    assert not key.verify(canonical + b" ", value)


def test_verification_returns_exactly_the_unsigned_envelope(
    gost_pki: DevPki, gost_signed: bytes, make_envelope: MakeEnvelope
) -> None:
    verified = XmlVerifier(gost_pki.trust_store(), _GOST_256_ONLY).verify(
        parse_xml(gost_signed), expected_sender="police"
    )
    assert verified.signer.system_code == "police"
    assert etree.tostring(verified.signed_xml, method="c14n", exclusive=True) == etree.tostring(
        make_envelope(), method="c14n", exclusive=True
    )


def test_text_after_the_signature_is_signed_content(gost_pki: DevPki, gost_signed: bytes) -> None:
    # The enveloped-signature transform removes the ds:Signature element, not the text after
    # it (which lxml keeps as the element's tail): text added there after signing changes
    # what was signed.
    document = parse_xml(gost_signed)
    _signature(document).tail = "\n"
    verifier = XmlVerifier(gost_pki.trust_store(), _GOST_256_ONLY)
    assert rejection_from(_refusal(verifier, document)).code == "signature.digest_mismatch"
    _signature(document).tail = None
    assert verifier.verify(document, expected_sender="police").signer.system_code == "police"


def test_keys_sign_from_many_threads_at_once(gost_pki: DevPki, gost_police: SigningKey) -> None:
    # The worker signs from its thread pool with one loaded key.
    signer = XmlSigner(gost_police)
    verifier = XmlVerifier(gost_pki.trust_store(), _GOST_256_ONLY)

    def sign_and_verify(index: int) -> str:
        envelope = parse_xml(
            f'<Envelope xmlns="urn:family-hub:envelope:1"><N>{index}</N></Envelope>'
        )
        signed = parse_xml(signer.sign(envelope))
        return verifier.verify(signed, expected_sender="police").signed_xml[0].text or ""

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(sign_and_verify, range(64))) == [str(i) for i in range(64)]


def test_a_gost_signature_in_a_region_configured_rsa_only_is_not_allowed(
    gost_pki: DevPki, gost_signed: bytes
) -> None:
    error = _refusal(XmlVerifier(gost_pki.trust_store()), gost_signed)
    assert isinstance(error, AlgorithmNotAllowed)
    assert rejection_from(error).code == "signature.algorithm_not_allowed"


def test_an_rsa_signature_in_a_region_configured_gost_only_is_not_allowed(
    pki: DevPki, police_key: SigningKey, make_envelope: MakeEnvelope
) -> None:
    signed = XmlSigner(police_key).sign(make_envelope())
    error = _refusal(XmlVerifier(pki.trust_store(), _GOST_256_ONLY), signed)
    assert rejection_from(error).code == "signature.algorithm_not_allowed"


def test_a_gost_signature_method_with_an_rsa_certificate_is_refused(
    pki: DevPki, gost_pki: DevPki, gost_signed: bytes, police_key: SigningKey
) -> None:
    document = parse_xml(gost_signed)
    certificate = _signature(document).find(f"{_DS}KeyInfo/{_DS}X509Data/{_DS}X509Certificate")
    assert certificate is not None
    certificate.text = base64.b64encode(police_key.certificate.public_bytes(Encoding.DER)).decode()
    mixed = _mixed_trust(pki, gost_pki)
    error = _refusal(XmlVerifier(mixed, VerifyPolicy.for_providers({"rsa", "gost256"})), document)
    assert isinstance(error, CertificateNotGost)
    assert rejection_from(error).code == "signature.certificate_not_gost"


def test_methods_and_key_of_different_algorithms_are_a_mismatch(
    gost_pki: DevPki, gost_signed: bytes
) -> None:
    everything = XmlVerifier(
        gost_pki.trust_store(), VerifyPolicy.for_providers({"rsa", "gost256", "gost512"})
    )
    # An RSA SignatureMethod over the GOST key.
    rsa_method = gost_signed.replace(
        GOST_256.signature_method.encode(), b"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    ).replace(GOST_256.digest_method.encode(), b"http://www.w3.org/2001/04/xmlenc#sha256")
    # A GOST SignatureMethod over an SHA-256 digest.
    sha_digest = gost_signed.replace(
        GOST_256.digest_method.encode(), b"http://www.w3.org/2001/04/xmlenc#sha256"
    )
    for document in (rsa_method, sha_digest):
        error = _refusal(everything, document)
        assert isinstance(error, AlgorithmMismatch), document
        assert rejection_from(error).code == "signature.algorithm_mismatch"


def test_a_256_bit_method_with_a_512_bit_key_is_a_mismatch(
    gost_pki: DevPki, make_envelope: MakeEnvelope
) -> None:
    signed = XmlSigner(gost_pki.signing_key("health")).sign(make_envelope("health"))
    relabelled = signed.replace(b"gostr34112012-512", b"gostr34112012-256")
    both = XmlVerifier(gost_pki.trust_store(), VerifyPolicy.for_providers({"gost256", "gost512"}))
    assert both.verify(parse_xml(signed), expected_sender="health").signer.system_code == "health"
    error = _refusal(both, relabelled, "health")
    assert rejection_from(error).code == "signature.algorithm_mismatch"


def test_a_512_bit_key_where_only_256_is_allowed_is_refused_whatever_the_method_says(
    gost_pki: DevPki, make_envelope: MakeEnvelope
) -> None:
    signed = XmlSigner(gost_pki.signing_key("health")).sign(make_envelope("health"))
    relabelled = signed.replace(b"gostr34112012-512", b"gostr34112012-256")
    only_256 = XmlVerifier(gost_pki.trust_store(), _GOST_256_ONLY)
    for document in (signed, relabelled):
        error = _refusal(only_256, document, "health")
        assert rejection_from(error).code == "signature.key_size_not_allowed"


def test_a_mixed_region_accepts_rsa_and_gost_partners_under_their_own_cas(
    pki: DevPki,
    gost_pki: DevPki,
    gost_signed: bytes,
    police_key: SigningKey,
    make_envelope: MakeEnvelope,
) -> None:
    verifier = XmlVerifier(
        _mixed_trust(pki, gost_pki), VerifyPolicy.for_providers({"rsa", "gost256"})
    )
    rsa_signed = XmlSigner(police_key).sign(make_envelope())
    for signed in (rsa_signed, gost_signed):
        assert (
            verifier.verify(parse_xml(signed), expected_sender="police").signer.system_code
            == "police"
        )


def test_a_gost_key_with_another_systems_certificate_is_refused(gost_pki: DevPki) -> None:
    police, health = gost_pki.credentials("police"), gost_pki.credentials("health")
    with pytest.raises(ValueError, match="does not match"):
        SigningKey.load(police.key_path, health.cert_path)


def test_the_hub_will_not_start_with_a_key_of_a_family_it_does_not_accept(
    gost_pki: DevPki, tmp_path: Path
) -> None:
    hub_certificate = gost_pki.signing_key("hub").certificate
    assert provider_of(hub_certificate) == "gost256"
    with pytest.raises(ValueError, match="HUB_SIGNATURE_PROVIDERS"):
        require_accepted_algorithm(Settings(data_dir=tmp_path), hub_certificate)
    require_accepted_algorithm(
        Settings(data_dir=tmp_path, signature_providers="rsa,gost256"), hub_certificate
    )


def test_an_unknown_provider_name_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="gost256"):
        verify_policy(Settings(data_dir=tmp_path, signature_providers="gost"))
    assert verify_policy(Settings(data_dir=tmp_path, signature_providers=" rsa , gost512 ")) == (
        VerifyPolicy.for_providers({"rsa", "gost512"})
    )


def _mixed_trust(*pkis: DevPki) -> TrustStore:
    stores = [pki.trust_store() for pki in pkis]
    return TrustStore(
        [ca for store in stores for ca in store.ca_certificates],
        [crl for store in stores for crl in store.crls],
    )
