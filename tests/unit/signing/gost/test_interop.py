"""The hub's GOST signatures against gostcrypto, an implementation that shares no code with them.

What the hub signs (``XmlSigner``, OpenSSL's GOST engine) verifies in gostcrypto, and what
gostcrypto signs, building the whole signature itself, verifies in the hub (``XmlVerifier``), for
256- and 512-bit keys of the GOST dev PKI. The vectors of ``test_vectors.py`` tie gostcrypto to
the standards, so these tie the hub's binding to them too. gostcrypto takes about 0.1 s per
signature or verification, so each case runs once.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography import x509
from hypothesis import example, given, settings
from hypothesis import strategies as st
from lxml import etree

from signing import DevPki, SignatureInvalid, VerifyPolicy, XmlSigner, XmlVerifier
from signing.gost import streebog
from signing.gost.algorithms import GostBits
from tests.unit.signing.gost import gostcrypto_side
from tests.unit.signing.gost.gostcrypto_side import Verdict

#: The dev PKI's system for each key size, and the provider family that accepts it.
SYSTEMS = {"gost256": "police", "gost512": "kdn"}
_systems = pytest.mark.parametrize(("provider", "system"), SYSTEMS.items(), ids=SYSTEMS)


@pytest.fixture(scope="module")
def gost_pki(gost_engine: None, tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    pki = DevPki(tmp_path_factory.mktemp("gost-pki"))
    pki.init(crypto="gost")
    pki.issue("police", "ОМВД России по району", algorithm="gost256")
    pki.issue("kdn", "Комиссия по делам несовершеннолетних", algorithm="gost512")
    return pki


def _certificate(pki: DevPki, system: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pki.credentials(system).cert_path.read_bytes())


@_systems
def test_the_pkis_private_key_is_the_certificates_public_key_in_gostcrypto(
    gost_pki: DevPki, provider: str, system: str
) -> None:
    private = gostcrypto_side.private_key_of(gost_pki.credentials(system).key_path.read_bytes())
    public = gostcrypto_side.public_key_of(_certificate(gost_pki, system))

    assert (private.bits, private.paramset) == (public.bits, public.paramset)
    assert private.signature_object().public_key_generate(bytearray(private.value)) == public.value


@_systems
def test_gostcrypto_verifies_what_the_hub_signs(
    gost_pki: DevPki,
    make_envelope: Callable[..., etree._Element],
    provider: str,
    system: str,
) -> None:
    signed = XmlSigner(gost_pki.signing_key(system)).sign(make_envelope(sender=system))

    assert gostcrypto_side.verify(signed) == Verdict(digest_matches=True, signature_verifies=True)


def test_gostcrypto_finds_the_change_in_what_the_hub_signed(
    gost_pki: DevPki, make_envelope: Callable[..., etree._Element]
) -> None:
    # Given a hub signature over a referral whose reason is then rewritten
    signed = XmlSigner(gost_pki.signing_key("police")).sign(make_envelope(sender="police"))
    changed = signed.replace(
        "в социально опасном положении".encode(), "в трудной жизненной ситуации".encode()
    )
    assert changed != signed

    # Then the digest no longer matches, while SignedInfo's signature still does
    verdict = gostcrypto_side.verify(changed)
    assert verdict == Verdict(digest_matches=False, signature_verifies=True)


@_systems
def test_the_hub_verifies_what_gostcrypto_signs(
    gost_pki: DevPki,
    make_envelope: Callable[..., etree._Element],
    parse: Callable[[bytes], etree._Element],
    provider: str,
    system: str,
) -> None:
    # Given an envelope signed end to end by gostcrypto with the system's key from the dev PKI
    envelope = make_envelope(sender=system)
    key_pem = gost_pki.credentials(system).key_path.read_bytes()
    signed = gostcrypto_side.sign(envelope, key_pem, _certificate(gost_pki, system))

    # When the hub verifies it, accepting only that key size
    verifier = XmlVerifier(gost_pki.trust_store(), VerifyPolicy.for_providers({provider}))
    verified = verifier.verify(parse(signed), expected_sender=system)

    # Then it is the system's signature over exactly the envelope
    assert verified.signer.system_code == system
    assert gostcrypto_side.exc_c14n(verified.signed_xml) == gostcrypto_side.exc_c14n(envelope)


def test_the_hub_refuses_a_gostcrypto_signature_under_another_systems_certificate(
    gost_pki: DevPki,
    make_envelope: Callable[..., etree._Element],
    parse: Callable[[bytes], etree._Element],
) -> None:
    # Given a valid GOST signature by a 256-bit key that is not the certificate's
    other = DevPki(gost_pki.root.parent / "other-gost-pki")
    other.init(crypto="gost")
    stray_key = other.issue("police", "Самозванец").key_path.read_bytes()
    signed = gostcrypto_side.sign(
        make_envelope(sender="police"), stray_key, _certificate(gost_pki, "police")
    )

    verifier = XmlVerifier(gost_pki.trust_store(), VerifyPolicy.for_providers({"gost256"}))
    with pytest.raises(SignatureInvalid):
        verifier.verify(parse(signed), expected_sender="police")


# Streebog processes 64-byte blocks from the end of the message and adds them modulo 2^512:
# the sizes around a block and a block of 0xff (the longest carry) are the usual mistakes.
@pytest.mark.usefixtures("gost_engine")
@settings(max_examples=10, deadline=None)
@given(data=st.binary(max_size=4096), bits=st.sampled_from([256, 512]))
@example(data=b"", bits=256)
@example(data=b"\xff" * 64, bits=512)
@example(data=b"\xff" * 65, bits=256)
@example(data=bytes(range(256)) * 8 + b"\x01", bits=512)
def test_the_engine_and_gostcrypto_agree_on_streebog(data: bytes, bits: GostBits) -> None:
    assert streebog(data, bits) == gostcrypto_side.streebog(data, bits)
