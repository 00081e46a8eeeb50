"""Hostile inputs against every provider family: each attack is refused with its stable reason.

Each case runs against RSA/ECDSA and GOST R 34.10-2012 (``conftest.PROVIDERS``), each with a
whole PKI of its own and the policy of a hub configured with that family. Tampering happens
after signing, on the parsed tree, exactly as an attacker on the wire could. Profile
violations are introduced without re-signing: the profile check must refuse them before any
cryptography runs. The GOST cases at the end re-sign where the attack is a partner's malformed
signature rather than tampering.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from signing import (
    AlgorithmMismatch,
    CertificateExpired,
    CertificateRevoked,
    CertificateUntrusted,
    DigestMismatch,
    SignatureInputInvalid,
    SignatureInvalid,
    SignatureMissing,
    SignerNotSender,
    Verifier,
    XmlSigner,
)
from signing.gost import GOST_256, GOST_512, GostPrivateKey, streebog
from signing.policy import DIGEST_SHA256
from tests.unit.signing.conftest import Provider

MakeEnvelope = Callable[..., etree._Element]

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
NS = {"e": "urn:family-hub:envelope:1", "ds": DS_NS, "m": "urn:family-hub:msg:FamilyReferral:1"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def parse_xml(data: bytes | str) -> etree._Element:
    return etree.fromstring(data.encode() if isinstance(data, str) else data, _PARSER)


def _one(root: etree._Element, path: str) -> etree._Element:
    found = root.xpath(path, namespaces=NS)
    assert isinstance(found, list)
    assert len(found) == 1
    element = found[0]
    assert isinstance(element, etree._Element)
    return element


def _signature(root: etree._Element) -> etree._Element:
    return _one(root, "/e:Envelope/ds:Signature")


def _ds(tag: str) -> str:
    return f"{{{DS_NS}}}{tag}"


def _assert_profile_violation(verifier: Verifier, document: etree._Element, detail: str) -> None:
    with pytest.raises(SignatureInputInvalid) as caught:
        verifier.verify(document, expected_sender="police")
    assert type(caught.value) is SignatureInputInvalid
    assert caught.value.reason == "profile_violation"
    assert caught.value.detail == detail


# --- missing, tampered, forged -------------------------------------------------------------


def test_unsigned_envelope_is_missing(verifier: Verifier, make_envelope: MakeEnvelope) -> None:
    with pytest.raises(SignatureMissing) as caught:
        verifier.verify(make_envelope(), expected_sender="police")
    assert caught.value.reason == "missing"
    assert caught.value.detail == "count"


def test_body_text_changed_after_signing_is_digest_mismatch(
    verifier: Verifier, signed: etree._Element
) -> None:
    _one(signed, "//m:FullName").text = "Петров Пётр Петрович"
    with pytest.raises(DigestMismatch) as caught:
        verifier.verify(signed, expected_sender="police")
    assert caught.value.reason == "digest_mismatch"


def test_signxml_digest_error_is_kept_as_the_cause(
    rsa_provider: Provider, make_envelope: MakeEnvelope
) -> None:
    # RSA only: signxml raises and signing wraps it; GOST's own verifier has nothing to wrap.
    signed = parse_xml(rsa_provider.signer("police").sign(make_envelope()))
    _one(signed, "//m:FullName").text = "Петров Пётр Петрович"
    with pytest.raises(DigestMismatch) as caught:
        rsa_provider.verifier().verify(signed, expected_sender="police")
    assert isinstance(caught.value.__cause__, Exception)


def test_duplicate_header_is_digest_mismatch(verifier: Verifier, signed: etree._Element) -> None:
    header = _one(signed, "/e:Envelope/e:Header")
    decoy = copy.deepcopy(header)
    _one(decoy, "e:Sender/e:System").text = "kdn"
    header.addprevious(decoy)
    with pytest.raises(DigestMismatch):
        verifier.verify(signed, expected_sender="police")


def test_altered_signature_value_is_invalid(verifier: Verifier, signed: etree._Element) -> None:
    value = _one(signed, "//ds:SignatureValue")
    text = "".join((value.text or "").split())
    # Flip one base64 character to another valid one: the value stays well-formed but wrong.
    value.text = ("B" if text[10] == "A" else "A").join([text[:10], text[11:]])
    with pytest.raises(SignatureInvalid) as caught:
        verifier.verify(signed, expected_sender="police")
    assert type(caught.value) is SignatureInvalid
    assert caught.value.reason == "invalid"


def test_certificate_from_a_self_made_ca_is_untrusted(
    verifier: Verifier, provider: Provider, make_envelope: MakeEnvelope
) -> None:
    forged = parse_xml(XmlSigner(provider.other_pki.signing_key("police")).sign(make_envelope()))
    with pytest.raises(CertificateUntrusted) as caught:
        verifier.verify(forged, expected_sender="police")
    assert caught.value.reason == "untrusted"


def test_signer_other_than_expected_sender_is_refused(
    verifier: Verifier, signed: etree._Element
) -> None:
    with pytest.raises(SignerNotSender) as caught:
        verifier.verify(signed, expected_sender="kdn")
    assert caught.value.reason == "signer_not_sender"


# --- certificate lifetime and revocation ---------------------------------------------------


@pytest.mark.parametrize(
    ("code", "not_before", "valid_days"),
    [
        ("expired-sys", datetime.now(UTC) - timedelta(days=10), 1),
        ("future-sys", datetime.now(UTC) + timedelta(days=1), 30),
    ],
)
def test_certificate_outside_validity_is_expired(
    provider: Provider,
    make_envelope: MakeEnvelope,
    code: str,
    not_before: datetime,
    valid_days: int,
) -> None:
    pki = provider.pki
    pki.issue(code, "Тест", not_before=not_before, valid_days=valid_days)
    document = parse_xml(XmlSigner(pki.signing_key(code)).sign(make_envelope(code)))
    with pytest.raises(CertificateExpired) as caught:
        provider.verifier().verify(document, expected_sender=code)
    assert caught.value.reason == "expired"


def test_revoked_certificate_is_refused(provider: Provider, make_envelope: MakeEnvelope) -> None:
    pki = provider.pki
    pki.issue("revoked-sys", "Тест")
    document = parse_xml(XmlSigner(pki.signing_key("revoked-sys")).sign(make_envelope()))
    provider.verifier().verify(document, expected_sender="revoked-sys")

    pki.revoke("revoked-sys")

    with pytest.raises(CertificateRevoked) as caught:
        provider.verifier().verify(document, expected_sender="revoked-sys")
    assert caught.value.reason == "revoked"


# --- count and position --------------------------------------------------------------------


def test_two_signatures_are_refused(verifier: Verifier, signed: etree._Element) -> None:
    signed.append(copy.deepcopy(_signature(signed)))
    _assert_profile_violation(verifier, signed, "count")


def test_signature_moved_into_body_is_refused(verifier: Verifier, signed: etree._Element) -> None:
    _one(signed, "/e:Envelope/e:Body").append(_signature(signed))
    _assert_profile_violation(verifier, signed, "position")


def test_signature_not_last_child_is_refused(verifier: Verifier, signed: etree._Element) -> None:
    _signature(signed).addnext(etree.Element(f"{{{NS['e']}}}Trailer"))
    _assert_profile_violation(verifier, signed, "position")


# --- wrapping ------------------------------------------------------------------------------


def _decoy_root(signature: etree._Element) -> etree._Element:
    decoy = parse_xml(
        f'<Envelope xmlns="{NS["e"]}"><Header><Sender><System>police</System></Sender>'
        "</Header><Body/></Envelope>"
    )
    decoy.append(signature)
    return decoy


def test_signed_envelope_inside_object_with_decoy_root_is_refused(
    verifier: Verifier, signed: etree._Element
) -> None:
    # Given the whole signed envelope tucked into a ds:Object of a copied signature
    signature = copy.deepcopy(_signature(signed))
    obj = etree.SubElement(signature, _ds("Object"))
    obj.append(signed)
    # When it is verified under a decoy root, Then the nested signature is counted
    _assert_profile_violation(verifier, _decoy_root(signature), "count")


def test_envelope_content_inside_object_without_nested_signature_is_refused(
    verifier: Verifier, signed: etree._Element
) -> None:
    # Given a copied signature whose ds:Object holds the envelope without its signature
    signature = _signature(signed)
    wrapper = copy.deepcopy(signature)
    signed.remove(signature)
    etree.SubElement(wrapper, _ds("Object")).append(signed)
    # Then the ds:Object alone breaks the profile
    _assert_profile_violation(verifier, _decoy_root(wrapper), "structure")


def test_signature_transplanted_to_decoy_root_is_digest_mismatch(
    verifier: Verifier, signed: etree._Element
) -> None:
    with pytest.raises(DigestMismatch):
        verifier.verify(_decoy_root(_signature(signed)), expected_sender="police")


def test_comment_inside_text_does_not_change_signed_xml(
    verifier: Verifier, signed: etree._Element
) -> None:
    # Given a comment splitting a signed text value after signing
    name = _one(signed, "//m:FullName")
    name.text = "Иванов Иван"
    comment = etree.Comment(" split ")
    comment.tail = " Иванович"
    name.append(comment)
    assert name.text == "Иванов Иван"
    # When verified, Then signed_xml carries the whole value and no comment
    verified = verifier.verify(signed, expected_sender="police")
    assert _one(verified.signed_xml, "//m:FullName").text == "Иванов Иван Иванович"
    assert not verified.signed_xml.xpath("//comment()")


# --- reference, transforms, algorithms, key info -------------------------------------------


@pytest.mark.parametrize("uri", ["#x", "file:///etc/passwd", "#xpointer(/)", None])
def test_reference_uri_other_than_empty_is_refused(
    verifier: Verifier, signed: etree._Element, uri: str | None
) -> None:
    reference = _one(signed, "//ds:Reference")
    if uri is None:
        del reference.attrib["URI"]
    else:
        reference.set("URI", uri)
    _assert_profile_violation(verifier, signed, "reference")


def test_second_reference_is_refused(verifier: Verifier, signed: etree._Element) -> None:
    reference = _one(signed, "//ds:Reference")
    reference.addnext(copy.deepcopy(reference))
    _assert_profile_violation(verifier, signed, "reference")


def _xslt_transform() -> etree._Element:
    transform = etree.Element(_ds("Transform"))
    transform.set("Algorithm", "http://www.w3.org/TR/1999/REC-xslt-19991116")
    stylesheet = etree.SubElement(
        transform,
        "{http://www.w3.org/1999/XSL/Transform}stylesheet",
        version="1.0",
    )
    etree.SubElement(stylesheet, "{http://www.w3.org/1999/XSL/Transform}template", match="/")
    return transform


def _xpath_transform() -> etree._Element:
    transform = etree.Element(_ds("Transform"))
    transform.set("Algorithm", "http://www.w3.org/TR/1999/REC-xpath-19991116")
    etree.SubElement(transform, _ds("XPath")).text = "not(ancestor-or-self::e:Body)"
    return transform


@pytest.mark.parametrize("make_transform", [_xslt_transform, _xpath_transform])
def test_extra_transform_is_refused(
    verifier: Verifier,
    signed: etree._Element,
    make_transform: Callable[[], etree._Element],
) -> None:
    _one(signed, "//ds:Transforms").append(make_transform())
    _assert_profile_violation(verifier, signed, "transform")


def test_reordered_transforms_are_refused(verifier: Verifier, signed: etree._Element) -> None:
    transforms = _one(signed, "//ds:Transforms")
    transforms.append(transforms[0])
    _assert_profile_violation(verifier, signed, "transform")


def test_inclusive_namespaces_parameter_on_transform_is_refused(
    verifier: Verifier, signed: etree._Element
) -> None:
    transform = _one(signed, "//ds:Transforms")[1]
    etree.SubElement(
        transform, "{http://www.w3.org/2001/10/xml-exc-c14n#}InclusiveNamespaces", PrefixList="e"
    )
    _assert_profile_violation(verifier, signed, "transform")


@pytest.mark.parametrize(
    ("path", "algorithm"),
    [
        ("//ds:DigestMethod", "http://www.w3.org/2000/09/xmldsig#sha1"),
        ("//ds:SignatureMethod", "http://www.w3.org/2000/09/xmldsig#rsa-sha1"),
        ("//ds:SignatureMethod", "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"),
        ("//ds:SignatureMethod", "http://www.w3.org/2000/09/xmldsig#hmac-sha1"),
        ("//ds:CanonicalizationMethod", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"),
        (
            "//ds:CanonicalizationMethod",
            "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
        ),
    ],
)
def test_weak_or_foreign_algorithm_is_refused(
    verifier: Verifier, signed: etree._Element, path: str, algorithm: str
) -> None:
    _one(signed, path).set("Algorithm", algorithm)
    _assert_profile_violation(verifier, signed, "algorithm")


def test_hmac_output_length_parameter_is_refused(
    verifier: Verifier, signed: etree._Element
) -> None:
    etree.SubElement(_one(signed, "//ds:SignatureMethod"), _ds("HMACOutputLength")).text = "8"
    _assert_profile_violation(verifier, signed, "algorithm")


def _add_key_value(key_info: etree._Element) -> None:
    etree.SubElement(key_info, _ds("KeyValue"))


def _add_second_certificate(key_info: etree._Element) -> None:
    x509_data = key_info[0]
    x509_data.append(copy.deepcopy(x509_data[0]))


def _garble_certificate(key_info: etree._Element) -> None:
    key_info[0][0].text = "bm90IGEgY2VydGlmaWNhdGU="


def _drop_certificate(key_info: etree._Element) -> None:
    key_info.remove(key_info[0])


@pytest.mark.parametrize(
    "tamper", [_add_key_value, _add_second_certificate, _garble_certificate, _drop_certificate]
)
def test_key_info_other_than_one_certificate_is_refused(
    verifier: Verifier, signed: etree._Element, tamper: Callable[[etree._Element], None]
) -> None:
    tamper(_one(signed, "//ds:KeyInfo"))
    _assert_profile_violation(verifier, signed, "key_info")


def test_object_inside_signature_is_refused(verifier: Verifier, signed: etree._Element) -> None:
    etree.SubElement(_signature(signed), _ds("Object"))
    _assert_profile_violation(verifier, signed, "structure")


def test_profile_is_checked_before_cryptography(verifier: Verifier, signed: etree._Element) -> None:
    # Given content tampering (a digest mismatch) AND a forbidden transform
    _one(signed, "//m:FullName").text = "Петров"
    _one(signed, "//ds:Transforms").append(_xslt_transform())
    # Then the profile violation is reported, not the digest
    _assert_profile_violation(verifier, signed, "transform")


# --- GOST R 34.10-2012: the raw signature value and the Streebog digest -------------------
# A partner's signer that writes these wrongly is re-created by re-signing SignedInfo with the
# partner's real key: the signature then verifies and the refusal must come from what it says.


@pytest.fixture
def gost_signed(gost_provider: Provider, make_envelope: MakeEnvelope) -> etree._Element:
    return parse_xml(gost_provider.signer("police").sign(make_envelope()))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _signature_value(document: etree._Element) -> bytes:
    return base64.b64decode("".join((_one(document, "//ds:SignatureValue").text or "").split()))


def _canonical(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)


def _canonical_content(document: etree._Element) -> bytes:
    unsigned = copy.deepcopy(document)
    unsigned.remove(_signature(unsigned))
    return _canonical(unsigned)


def _resign(document: etree._Element, provider: Provider) -> None:
    key = provider.pki.signing_key("police").private_key
    assert isinstance(key, GostPrivateKey)
    value = key.sign(_canonical(_one(document, "//ds:SignedInfo")))
    _one(document, "//ds:SignatureValue").text = _b64(value)


def _assert_invalid(verifier: Verifier, document: etree._Element) -> None:
    with pytest.raises(SignatureInvalid) as caught:
        verifier.verify(document, expected_sender="police")
    assert type(caught.value) is SignatureInvalid
    assert caught.value.reason == "invalid"


@pytest.mark.parametrize(
    "resize",
    [
        pytest.param(lambda value: value[:-1], id="one-byte-short"),
        pytest.param(lambda value: value[: len(value) // 2], id="one-half"),
        pytest.param(lambda value: value + value, id="a-512-bit-length"),
        pytest.param(lambda value: b"\0" + value, id="zero-padded"),
    ],
)
def test_gost_signature_value_of_the_wrong_length_is_invalid(
    gost_provider: Provider, gost_signed: etree._Element, resize: Callable[[bytes], bytes]
) -> None:
    value = _signature_value(gost_signed)
    assert len(value) == GOST_256.signature_bytes
    _one(gost_signed, "//ds:SignatureValue").text = _b64(resize(value))
    _assert_invalid(gost_provider.verifier(), gost_signed)


def test_gost_signature_halves_swapped_to_r_s_is_invalid(
    gost_provider: Provider, gost_signed: etree._Element
) -> None:
    # The profile's order is s‖r (RFC 4491); a verifier reading r‖s would accept a forgery
    # made for the other order, so the swapped value of a genuine signature must fail.
    value = _signature_value(gost_signed)
    half = len(value) // 2
    _one(gost_signed, "//ds:SignatureValue").text = _b64(value[half:] + value[:half])
    _assert_invalid(gost_provider.verifier(), gost_signed)


def test_gost_digest_value_of_the_other_size_is_refused(
    gost_provider: Provider, gost_signed: etree._Element
) -> None:
    # Given the right content's Streebog-512 under a 256-bit DigestMethod
    digest = streebog(_canonical_content(gost_signed), GOST_512.bits)
    _one(gost_signed, "//ds:DigestValue").text = _b64(digest)
    # Then tampering breaks the signature, and even a partner's own signature over it
    _assert_invalid(gost_provider.verifier(), gost_signed)
    _resign(gost_signed, gost_provider)
    # is a digest that does not match
    with pytest.raises(DigestMismatch) as caught:
        gost_provider.verifier().verify(gost_signed, expected_sender="police")
    assert caught.value.reason == "digest_mismatch"


def test_gost_signature_method_over_a_sha256_digest_is_algorithm_mismatch(
    gost_provider: Provider, gost_signed: etree._Element
) -> None:
    # Given a correct SHA-256 Reference under the GOST SignatureMethod, signed by police
    _one(gost_signed, "//ds:DigestMethod").set("Algorithm", DIGEST_SHA256)
    digest = hashlib.sha256(_canonical_content(gost_signed)).digest()
    _one(gost_signed, "//ds:DigestValue").text = _b64(digest)
    _resign(gost_signed, gost_provider)
    # Then the profile refuses the mixed pair before any cryptography
    with pytest.raises(AlgorithmMismatch) as caught:
        gost_provider.verifier().verify(gost_signed, expected_sender="police")
    assert caught.value.reason == "algorithm_mismatch"
    assert caught.value.detail == "algorithm"
