"""XML-DSig with GOST R 34.10-2012: the hub's enveloped profile, signed and checked by hand.

signxml knows no GOST and Debian's xmlsec1 is built without it, so this module writes (with
``signing.enveloped``, as for RSA and ECDSA) and checks the one signature shape the hub's
profile admits (``signing.profile``): a ds:Signature as the root's last child, exclusive
c14n, one Reference ``URI=""`` with the transforms [enveloped-signature, exc-c14n].
``check_profile`` has already refused every other shape before ``verify_enveloped`` runs,
which is what makes a small hand-written verifier safe: it never follows a reference, a
transform or a key it was not told to.

Bytes (docs/partners/signature-profile.md): DigestValue is the raw Streebog output of the
canonical envelope without its signature; SignatureValue is s‖r, each half big-endian, over
the canonical SignedInfo, as xmlsec, CryptoPro and SMEV write them.
"""

from __future__ import annotations

import copy
import hmac

from cryptography import x509
from lxml import etree

from signing import enveloped
from signing.errors import DigestMismatch, SignatureInputInvalid, SignatureInvalid
from signing.gost.openssl import GostPrivateKey, GostPublicKey, streebog
from signing.profile import DS_NAMESPACE, base64_text

__all__ = ["sign_enveloped", "verify_enveloped"]

_DS = f"{{{DS_NAMESPACE}}}"


def sign_enveloped(
    envelope: etree._Element, key: GostPrivateKey, certificate: x509.Certificate
) -> bytes:
    """Return a copy of ``envelope`` with an enveloped GOST signature, as UTF-8 with a declaration.

    The caller checks that the envelope is unsigned and that ``certificate`` carries ``key``.
    """
    algorithm = key.algorithm
    return enveloped.sign_enveloped(
        envelope,
        certificate,
        signature_method=algorithm.signature_method,
        digest_method=algorithm.digest_method,
        digest=lambda canonical: streebog(canonical, algorithm.bits),
        sign=key.sign,
    )


def verify_enveloped(envelope: etree._Element, certificate: x509.Certificate) -> etree._Element:
    """Check the GOST signature of an envelope that passed ``check_profile``; return what it signs.

    The returned tree is parsed from the exact bytes that were digested: the envelope without
    its signature and without comments.

    Raises:
        SignatureInputInvalid: the certificate's GOST key is unreadable.
        SignatureInvalid: the SignatureValue does not sign SignedInfo with the certificate's key.
        DigestMismatch: the envelope changed after signing.
    """
    signature = envelope.find(_DS + "Signature")
    if signature is None:
        raise SignatureInputInvalid("structure", "the signature is malformed")
    signed_info = signature.find(_DS + "SignedInfo")
    value = signature.find(_DS + "SignatureValue")
    digest_value = (
        signed_info.find(f"{_DS}Reference/{_DS}DigestValue") if signed_info is not None else None
    )
    if signed_info is None or value is None or digest_value is None:
        raise SignatureInputInvalid("structure", "the signature is malformed")
    try:
        key = GostPublicKey.from_certificate(certificate)
    except ValueError as exc:
        raise SignatureInputInvalid("key_info", "the certificate's GOST key is unreadable") from exc
    if not key.verify(enveloped.canonical(signed_info), base64_text(value)):
        raise SignatureInvalid("the signature value does not verify")

    unsigned = copy.deepcopy(envelope)
    _remove_keeping_tail(unsigned[-1])
    canonical = enveloped.canonical(unsigned)
    digest = streebog(canonical, key.algorithm.bits)
    if not hmac.compare_digest(digest, base64_text(digest_value)):
        raise DigestMismatch("the signed content was changed after signing")
    # c14n output has no DTD, entities or network references; parse it as strictly anyway,
    # with a parser of this call's own: one shared between threads lets them write into one
    # libxml2 string dictionary at once (schemas.parser says more).
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(canonical, parser)


def _remove_keeping_tail(element: etree._Element) -> None:
    # The enveloped-signature transform removes the element, not the text after it, which
    # lxml keeps on the element as its tail.
    parent = element.getparent()
    assert parent is not None
    previous = element.getprevious()
    if element.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)
