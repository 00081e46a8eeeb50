"""The profile check on its own: what it returns for a conforming signature.

Every way of breaking the profile is in ``test_hostile.py``, run through each provider.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from signing import SigningKey, VerifyPolicy, XmlSigner
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
