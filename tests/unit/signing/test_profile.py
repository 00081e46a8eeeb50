"""The profile check on its own: what it returns for a conforming signature.

Every way of breaking the profile is in ``test_hostile.py``, run through each provider.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from signing import SigningKey, VerifyPolicy, XmlSigner, find_unverified_certificate
from signing.profile import check_profile

_DS = "{http://www.w3.org/2000/09/xmldsig#}"


def test_conforming_signature_yields_its_certificate(
    police_key: SigningKey,
    make_envelope: Callable[..., etree._Element],
    parse: Callable[[bytes], etree._Element],
) -> None:
    signed = parse(XmlSigner(police_key).sign(make_envelope()))
    assert check_profile(signed, VerifyPolicy()) == police_key.certificate


def test_comments_inside_the_signature_are_ignored(
    police_key: SigningKey,
    make_envelope: Callable[..., etree._Element],
    parse: Callable[[bytes], etree._Element],
) -> None:
    # Exclusive c14n drops comments, so they cannot change what the signature covers.
    signed = parse(XmlSigner(police_key).sign(make_envelope()))
    signed_info = signed.find(f"{_DS}Signature/{_DS}SignedInfo")
    assert signed_info is not None
    signed_info.insert(0, etree.Comment(" note "))
    assert check_profile(signed, VerifyPolicy()) == police_key.certificate


# --- The certificate a document carries, unverified ---------------------------------------


def test_the_carried_certificate_is_found_even_when_the_content_was_altered(
    police_key: SigningKey,
    make_envelope: Callable[..., etree._Element],
    parse: Callable[[bytes], etree._Element],
) -> None:
    signed = parse(XmlSigner(police_key).sign(make_envelope()))
    reason = signed.find(".//{*}Reason")
    assert reason is not None
    reason.text = "изменено после подписи"
    assert find_unverified_certificate(signed) == police_key.certificate


def test_an_unsigned_document_carries_no_certificate(
    make_envelope: Callable[..., etree._Element],
) -> None:
    assert find_unverified_certificate(make_envelope()) is None


def test_a_signature_without_a_certificate_carries_none(
    police_key: SigningKey,
    make_envelope: Callable[..., etree._Element],
    parse: Callable[[bytes], etree._Element],
) -> None:
    signed = parse(XmlSigner(police_key).sign(make_envelope()))
    key_info = signed.find(f"{_DS}Signature/{_DS}KeyInfo")
    assert key_info is not None
    for child in list(key_info):
        key_info.remove(child)
    assert find_unverified_certificate(signed) is None


def test_a_certificate_that_is_not_der_is_none(
    police_key: SigningKey,
    make_envelope: Callable[..., etree._Element],
    parse: Callable[[bytes], etree._Element],
) -> None:
    signed = parse(XmlSigner(police_key).sign(make_envelope()))
    certificate = signed.find(f".//{_DS}X509Certificate")
    assert certificate is not None
    certificate.text = "bm90IGEgY2VydGlmaWNhdGU="  # base64 of "not a certificate"
    assert find_unverified_certificate(signed) is None
