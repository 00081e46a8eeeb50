"""The hub's signer follows a key rotation on disk: real keys, real signatures."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from lxml import etree

from signing import (
    HUB_SYSTEM_CODE,
    DevPki,
    ReloadingSigner,
    TrustStore,
    XmlSigner,
    XmlVerifier,
)
from signing.profile import DS_NAMESPACE

Envelopes = Callable[..., etree._Element]


@pytest.fixture
def own_pki(tmp_path: Path) -> DevPki:
    """A PKI of this test's own: rotating the session PKI's hub key would touch others."""
    pki = DevPki(tmp_path / "pki")
    pki.init()
    return pki


def signed_by(raw: bytes, parse: Callable[[bytes], etree._Element]) -> x509.Certificate:
    """The certificate a signed document carries."""
    found = parse(raw).find(f"{{{DS_NAMESPACE}}}Signature//{{{DS_NAMESPACE}}}X509Certificate")
    assert found is not None
    assert found.text
    return x509.load_der_x509_certificate(base64.b64decode("".join(found.text.split())))


def reloading(pki: DevPki, *, recheck_s: float = 0) -> ReloadingSigner:
    credentials = pki.credentials(HUB_SYSTEM_CODE)
    return ReloadingSigner(
        credentials.key_path, credentials.cert_path, make_signer=XmlSigner, recheck_s=recheck_s
    )


def test_after_a_rotation_it_signs_with_the_new_key_and_both_verify_through_the_ca(
    own_pki: DevPki, make_envelope: Envelopes, parse: Callable[[bytes], etree._Element]
) -> None:
    signer = reloading(own_pki)
    first = signer.sign(make_envelope(sender=HUB_SYSTEM_CODE))
    old = own_pki.signing_key(HUB_SYSTEM_CODE).certificate

    own_pki.rotate_hub_key()
    second = signer.sign(make_envelope(sender=HUB_SYSTEM_CODE))

    new = own_pki.signing_key(HUB_SYSTEM_CODE).certificate
    assert new.serial_number != old.serial_number
    assert (signed_by(first, parse), signed_by(second, parse)) == (old, new)
    retired = own_pki.root / "systems" / "hub" / "retired" / f"{old.serial_number:x}.pem"
    assert x509.load_pem_x509_certificate(retired.read_bytes()) == old
    partner = XmlVerifier(TrustStore.load(own_pki.root))
    for raw in (first, second):
        assert partner.verify(parse(raw), expected_sender=HUB_SYSTEM_CODE).signer.system_code == (
            HUB_SYSTEM_CODE
        )


def test_a_half_written_rotation_keeps_the_previous_key_until_the_pair_is_whole(
    own_pki: DevPki, make_envelope: Envelopes, parse: Callable[[bytes], etree._Element]
) -> None:
    # Given a signer over a copy of the hub's files, and a new pair issued elsewhere
    live = own_pki.root / "live"
    live.mkdir()
    hub = own_pki.credentials(HUB_SYSTEM_CODE)
    shutil.copy(hub.key_path, live / "key.pem")
    shutil.copy(hub.cert_path, live / "cert.pem")
    signer = ReloadingSigner(
        live / "key.pem", live / "cert.pem", make_signer=XmlSigner, recheck_s=0
    )
    old = own_pki.signing_key(HUB_SYSTEM_CODE).certificate
    fresh = own_pki.rotate_hub_key()
    verifier = XmlVerifier(TrustStore.load(own_pki.root))

    # When only the key has been replaced so far, the old pair still signs, verifiably
    shutil.copy(fresh.key_path, live / "key.pem")
    raw = signer.sign(make_envelope(sender=HUB_SYSTEM_CODE))
    assert signed_by(raw, parse) == old
    verifier.verify(parse(raw), expected_sender=HUB_SYSTEM_CODE)

    # Then, once the certificate follows, the new pair signs
    shutil.copy(fresh.cert_path, live / "cert.pem")
    raw = signer.sign(make_envelope(sender=HUB_SYSTEM_CODE))
    assert signed_by(raw, parse) == own_pki.signing_key(HUB_SYSTEM_CODE).certificate
    verifier.verify(parse(raw), expected_sender=HUB_SYSTEM_CODE)


def test_the_files_are_looked_at_no_more_often_than_recheck_s(
    own_pki: DevPki, make_envelope: Envelopes, parse: Callable[[bytes], etree._Element]
) -> None:
    signer = reloading(own_pki, recheck_s=3600)
    old = own_pki.signing_key(HUB_SYSTEM_CODE).certificate
    signer.sign(make_envelope(sender=HUB_SYSTEM_CODE))
    own_pki.rotate_hub_key()
    assert signed_by(signer.sign(make_envelope(sender=HUB_SYSTEM_CODE)), parse) == old


def test_missing_key_files_fail_at_construction(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        ReloadingSigner(
            tmp_path / "key.pem", tmp_path / "cert.pem", make_signer=XmlSigner, recheck_s=0
        )
