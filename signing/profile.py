"""The signature profile, checked on the document before any cryptography runs.

XML-DSig libraries verify what they are given: signxml silently skips transforms it does not
know, and still answers "valid" when the signed element was moved or a second signature sits
beside the first (docs/xml-security.md). So every provider first calls ``check_profile``, which
admits exactly one shape: one ds:Signature, the last child of the envelope root, whose
SignedInfo has exclusive c14n, an allowed SignatureMethod, and one Reference with ``URI=""``,
the transforms [enveloped-signature, exc-c14n], an allowed DigestMethod and a base64
DigestValue, followed by a base64 SignatureValue and a KeyInfo holding exactly one
X509Certificate. The two methods must be one family (GOST R 34.10 over its own Streebog, or
RSA/ECDSA over SHA-2) and one the policy is configured with.
"""

from __future__ import annotations

import base64
import binascii

from cryptography import x509
from lxml import etree

from signing.errors import (
    AlgorithmMismatch,
    AlgorithmNotAllowed,
    KeySizeNotAllowed,
    SignatureInputInvalid,
    SignatureMissing,
)
from signing.gost.algorithms import GOST_256, by_digest_method, by_signature_method
from signing.policy import ALLOWED_DIGEST_METHODS, ALLOWED_SIGNATURE_METHODS, VerifyPolicy

__all__ = [
    "DS_NAMESPACE",
    "ENVELOPED_SIGNATURE",
    "EXC_C14N",
    "base64_text",
    "check_profile",
    "find_unverified_certificate",
    "signature_method_of",
]

DS_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#"
ENVELOPED_SIGNATURE = DS_NAMESPACE + "enveloped-signature"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"

_DS = f"{{{DS_NAMESPACE}}}"
_SIGNATURE = f"{_DS}Signature"
_X509_CERTIFICATE = f"{{{DS_NAMESPACE}}}X509Certificate"
_SIGNATURE_CHILDREN = ["SignedInfo", "SignatureValue", "KeyInfo"]
_SIGNED_INFO_CHILDREN = ["CanonicalizationMethod", "SignatureMethod", "Reference"]
_REFERENCE_CHILDREN = ["Transforms", "DigestMethod", "DigestValue"]
_TRANSFORMS = [ENVELOPED_SIGNATURE, EXC_C14N]


def check_profile(envelope: etree._Element, policy: VerifyPolicy) -> x509.Certificate:
    """Check the envelope's signature against the profile and return its X.509 certificate.

    The certificate is returned untrusted; the caller checks it against the trust store.

    Raises:
        SignatureMissing: the document has no ds:Signature.
        SignatureInputInvalid: any other departure from the profile; ``detail`` names the rule.
    """
    signatures = list(envelope.iter(_SIGNATURE))
    if not signatures:
        raise SignatureMissing
    if len(signatures) > 1:
        raise SignatureInputInvalid("count", f"expected one ds:Signature, found {len(signatures)}")
    signature = signatures[0]
    # Last child of the root: a signature anywhere else signs something other than the envelope.
    if signature.getparent() is not envelope or signature.getnext() is not None:
        raise SignatureInputInvalid("position", "ds:Signature must be the root's last child")

    signed_info, signature_value, key_info = _children(signature, _SIGNATURE_CHILDREN)
    c14n_method, signature_method, reference = _children(signed_info, _SIGNED_INFO_CHILDREN)
    _check_algorithm(c14n_method, {EXC_C14N}, "CanonicalizationMethod")
    _check_algorithm(signature_method, ALLOWED_SIGNATURE_METHODS, "SignatureMethod")
    digest_method = _check_reference(reference)
    _check_configured(signature_method.get("Algorithm", ""), digest_method, policy)
    _check_base64(signature_value, "SignatureValue")
    return _certificate(key_info)


def signature_method_of(envelope: etree._Element) -> str:
    """The SignatureMethod URI of an envelope that passed ``check_profile``."""
    method = envelope.find(f"{_SIGNATURE}/{_DS}SignedInfo/{_DS}SignatureMethod")
    return "" if method is None else method.get("Algorithm", "")


def _check_configured(signature_method: str, digest_method: str, policy: VerifyPolicy) -> None:
    # GOST signs its own size of Streebog only, and RSA/ECDSA never a Streebog digest:
    # both None for RSA/SHA-2, the same GOST algorithm otherwise.
    gost = by_signature_method(signature_method)
    if gost != by_digest_method(digest_method):
        raise AlgorithmMismatch(
            f"SignatureMethod {signature_method!r} does not sign DigestMethod {digest_method!r}"
        )
    if signature_method not in policy.signature_methods:
        if (
            gost is not None
            and gost.bits > GOST_256.bits
            and GOST_256.signature_method in policy.signature_methods
        ):
            raise KeySizeNotAllowed("GOST R 34.10-2012 512-bit signatures are not accepted here")
        raise AlgorithmNotAllowed(f"SignatureMethod {signature_method!r} is not accepted here")
    if digest_method not in policy.digest_methods:
        raise AlgorithmNotAllowed(f"DigestMethod {digest_method!r} is not accepted here")


def find_unverified_certificate(envelope: etree._Element) -> x509.Certificate | None:
    """Return the X.509 certificate in the envelope's signature, UNVERIFIED; None if none.

    For showing who claims to have signed a document (an administrator's trace, an evidence
    export); never a reason to trust it, which only a ``Verifier`` gives. Reads the first
    X509Certificate under a ds:Signature child of the root, without checking the profile, so
    that a stored document which no longer verifies still shows its certificate.

    Raises:
        Nothing: a missing signature or certificate, or one that is not base64 DER, is None.
    """
    signature = envelope.find(_SIGNATURE)
    found = signature.find(f".//{_X509_CERTIFICATE}") if signature is not None else None
    return _decode_certificate(found) if found is not None else None


def _ds_local_name(element: etree._Element | None) -> str | None:
    if element is None or not isinstance(element.tag, str):
        return None
    qname = etree.QName(element)
    return qname.localname if qname.namespace == DS_NAMESPACE else None


def _elements(parent: etree._Element) -> list[etree._Element]:
    # Comments and PIs are not signed (exclusive c14n drops them), so they cannot change
    # what the signature means; only elements count.
    return [child for child in parent if isinstance(child.tag, str)]


def _children(parent: etree._Element, expected: list[str]) -> list[etree._Element]:
    children = _elements(parent)
    names = [_ds_local_name(child) for child in children]
    if names != expected:
        if "Reference" in expected and names.count("Reference") != 1:
            raise SignatureInputInvalid("reference", "expected exactly one ds:Reference")
        raise SignatureInputInvalid(
            "structure", f"{etree.QName(parent).localname} must contain exactly {expected}"
        )
    return children


def _check_algorithm(
    element: etree._Element, allowed: frozenset[str] | set[str], what: str
) -> None:
    algorithm = element.get("Algorithm")
    if algorithm not in allowed:
        raise SignatureInputInvalid("algorithm", f"{what} {algorithm!r} is not allowed")
    # Parameters such as HMACOutputLength or InclusiveNamespaces are outside the profile.
    if _elements(element):
        raise SignatureInputInvalid("algorithm", f"{what} must not carry parameters")


def _check_reference(reference: etree._Element) -> str:
    # URI="" is the whole envelope; "#id" can point at a moved or decoy element and anything
    # else would be dereferenced outside the document.
    if reference.get("URI") != "":
        raise SignatureInputInvalid("reference", 'the ds:Reference URI must be ""')
    transforms, digest_method, digest_value = _children(reference, _REFERENCE_CHILDREN)
    transform_elements = _elements(transforms)
    algorithms = [transform.get("Algorithm") for transform in transform_elements]
    if (
        algorithms != _TRANSFORMS
        or [_ds_local_name(t) for t in transform_elements] != ["Transform", "Transform"]
        or any(_elements(transform) for transform in transform_elements)
    ):
        raise SignatureInputInvalid(
            "transform", "transforms must be exactly [enveloped-signature, exc-c14n]"
        )
    _check_algorithm(digest_method, ALLOWED_DIGEST_METHODS, "DigestMethod")
    _check_base64(digest_value, "DigestValue")
    return digest_method.get("Algorithm", "")


def base64_text(element: etree._Element) -> bytes:
    """The bytes of an element's base64 text; whitespace between lines is allowed.

    Raises:
        binascii.Error: the text is not base64.
    """
    return base64.b64decode("".join((element.text or "").split()), validate=True)


def _check_base64(element: etree._Element, what: str) -> None:
    # signxml decodes these without checking: an empty element became a TypeError (a 500)
    # instead of a refusal.
    try:
        decoded = base64_text(element)
    except binascii.Error as exc:
        raise SignatureInputInvalid("structure", f"{what} is not base64") from exc
    if not decoded or _elements(element):
        raise SignatureInputInvalid("structure", f"{what} must hold base64 text")


def _certificate(key_info: etree._Element) -> x509.Certificate:
    x509_data = _elements(key_info)
    certificates = _elements(x509_data[0]) if len(x509_data) == 1 else []
    # Anything beside the one certificate (KeyValue, a chain, IssuerSerial) is a second,
    # possibly contradicting, statement of the key.
    if [_ds_local_name(element) for element in x509_data] != ["X509Data"] or [
        _ds_local_name(element) for element in certificates
    ] != ["X509Certificate"]:
        raise SignatureInputInvalid(
            "key_info", "KeyInfo must hold one X509Data with exactly one X509Certificate"
        )
    certificate = _decode_certificate(certificates[0])
    if certificate is None:
        raise SignatureInputInvalid("key_info", "X509Certificate is not a DER certificate")
    return certificate


def _decode_certificate(element: etree._Element) -> x509.Certificate | None:
    try:
        return x509.load_der_x509_certificate(base64_text(element))
    except (binascii.Error, ValueError):
        return None
