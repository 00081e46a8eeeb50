"""The hub profile's enveloped signature, written the same way whatever the algorithm.

The profile (``signing.profile``) admits one shape: a ds:Signature as the root's last child,
exclusive c14n, one Reference ``URI=""`` with the transforms [enveloped-signature,
exc-c14n], and a KeyInfo holding the signer's certificate. The hub writes that shape
directly, with the algorithm's digest and key: signxml, which would follow any shape,
re-serialises and re-parses the document several times per signature, a third of the
signing time here (docs/performance.md, "No shared parser, and signatures written by
hand"). Checking signatures stays with signxml (RSA, ECDSA) and with
``signing.gost.xmldsig`` (GOST), after ``check_profile``.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from signing.profile import DS_NAMESPACE, ENVELOPED_SIGNATURE, EXC_C14N

__all__ = ["canonical", "sign_enveloped"]

_DS = f"{{{DS_NAMESPACE}}}"


def sign_enveloped(
    envelope: etree._Element,
    certificate: x509.Certificate,
    *,
    signature_method: str,
    digest_method: str,
    digest: Callable[[bytes], bytes],
    sign: Callable[[bytes], bytes],
) -> bytes:
    """Return a copy of ``envelope`` signed in the profile, as UTF-8 with a declaration.

    ``digest`` hashes the canonical envelope; ``sign`` returns the SignatureValue's bytes
    for the canonical SignedInfo. The caller checks that the envelope is unsigned and that
    ``certificate`` carries the key behind ``sign``.
    """
    document = copy.deepcopy(envelope)
    digest_value = digest(canonical(document))

    signature = etree.SubElement(document, _DS + "Signature", nsmap={"ds": DS_NAMESPACE})
    signed_info = etree.SubElement(signature, _DS + "SignedInfo")
    etree.SubElement(signed_info, _DS + "CanonicalizationMethod", Algorithm=EXC_C14N)
    etree.SubElement(signed_info, _DS + "SignatureMethod", Algorithm=signature_method)
    reference = etree.SubElement(signed_info, _DS + "Reference", URI="")
    transforms = etree.SubElement(reference, _DS + "Transforms")
    etree.SubElement(transforms, _DS + "Transform", Algorithm=ENVELOPED_SIGNATURE)
    etree.SubElement(transforms, _DS + "Transform", Algorithm=EXC_C14N)
    etree.SubElement(reference, _DS + "DigestMethod", Algorithm=digest_method)
    etree.SubElement(reference, _DS + "DigestValue").text = _b64(digest_value)
    value = etree.SubElement(signature, _DS + "SignatureValue")
    key_info = etree.SubElement(signature, _DS + "KeyInfo")
    x509_data = etree.SubElement(key_info, _DS + "X509Data")
    etree.SubElement(x509_data, _DS + "X509Certificate").text = _b64(
        certificate.public_bytes(serialization.Encoding.DER)
    )
    value.text = _b64(sign(canonical(signed_info)))
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8")


def canonical(element: etree._Element) -> bytes:
    """``element`` in exclusive c14n without comments, the profile's only canonical form."""
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
