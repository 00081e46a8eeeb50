"""The hub's GOST signature profile done again with gostcrypto, independently of the hub's code.

gostcrypto (pure Python, MIT) shares no code with OpenSSL's GOST engine, which the hub uses. It
signs and verifies here exactly what docs/partners/signature-profile.md promises: an enveloped
signature with ``URI=""``, exclusive c14n, Streebog and GOST R 34.10-2012 under the ``cpxmlsec``
URIs, written out below instead of imported from ``signing.gost.algorithms``, so a wrong constant
there shows up as a failed cross-check.

Byte orders, each a place where implementations disagree:

- ``SignatureValue`` is s‖r, each half big-endian (RFC 4491 §2.2.2); gostcrypto wants r‖s.
- ``DigestValue`` and the hash that is signed are Streebog's output as OpenSSL and gostcrypto
  both write it; the standard reads that byte string as a little-endian number, gostcrypto's
  ``sign``/``verify`` as a big-endian one, so the hash is reversed before gostcrypto sees it.
- A certificate's public key is x‖y, each half little-endian (RFC 4491 §2.3.2); gostcrypto wants
  them big-endian. A PKCS#8 key's private scalar is little-endian too.
"""

from __future__ import annotations

import base64
import copy
from dataclasses import dataclass
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from gostcrypto import gosthash, gostsignature
from lxml import etree

from tests.unit.signing.gost import der

DS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
_CPXMLSEC = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:"
#: bits -> (SignatureMethod, DigestMethod), as SMEV 3 and CryptoPro name them.
URIS = {
    256: (_CPXMLSEC + "gostr34102012-gostr34112012-256", _CPXMLSEC + "gostr34112012-256"),
    512: (_CPXMLSEC + "gostr34102012-gostr34112012-512", _CPXMLSEC + "gostr34112012-512"),
}
#: GOST R 34.10-2012 key OIDs (RFC 9215 §2) -> key size in bits.
_KEY_BITS = {"1.2.643.7.1.1.1.1": 256, "1.2.643.7.1.1.1.2": 512}
#: Parameter set OID -> gostcrypto's curve. CryptoPro-A (RFC 4357 §11.4) has the same curve as
#: TC26's 256-bit paramSetB (R 1323565.1.024-2019), which is the name gostcrypto gives it.
_CURVES = {
    "1.2.643.2.2.35.1": "id-tc26-gost-3410-2012-256-paramSetB",
    "1.2.643.7.1.2.1.1.1": "id-tc26-gost-3410-2012-256-paramSetA",
    "1.2.643.7.1.2.1.2.1": "id-tc26-gost-3410-12-512-paramSetA",
}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@dataclass(frozen=True)
class GostKeyFields:
    """A GOST key as the standard states it: size, curve and a big-endian value."""

    bits: int
    paramset: str
    #: The public point x‖y, or the private scalar d, big-endian.
    value: bytes

    def signature_object(self) -> gostsignature.GOST34102012:
        """gostcrypto's signer/verifier for this key's size and curve."""
        mode = gostsignature.MODE_256 if self.bits == 256 else gostsignature.MODE_512
        curve = gostsignature.CURVES_R_1323565_1_024_2019[_CURVES[self.paramset]]
        return gostsignature.new(mode, curve)


def public_key_of(certificate: x509.Certificate) -> GostKeyFields:
    """The certificate's GOST public key, read from its SubjectPublicKeyInfo."""
    _, tbs = der.read(certificate.tbs_certificate_bytes)
    # version [0], serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
    _, spki = der.children(tbs)[6]
    (_, algorithm), (_, bit_string) = der.children(spki)
    bits, paramset = _algorithm(algorithm)
    assert bit_string[0] == 0, "a public key is whole bytes"
    tag, point = der.read(bit_string[1:])
    assert tag == der.OCTET_STRING
    assert len(point) == bits // 4
    half = len(point) // 2
    return GostKeyFields(bits, paramset, point[:half][::-1] + point[half:][::-1])


def private_key_of(pem: bytes) -> GostKeyFields:
    """The private scalar of an unencrypted PKCS#8 GOST key, as ``openssl genpkey`` writes it."""
    body = b"".join(line for line in pem.strip().splitlines() if not line.startswith(b"-----"))
    _, info = der.read(base64.b64decode(body))
    (_, version), (_, algorithm), (tag, scalar) = der.children(info)
    assert version == b"\x00"
    assert tag == der.OCTET_STRING
    bits, paramset = _algorithm(algorithm)
    assert len(scalar) == bits // 8, "the engine's PKCS#8 holds the raw little-endian scalar"
    return GostKeyFields(bits, paramset, scalar[::-1])


def _algorithm(algorithm: bytes) -> tuple[int, str]:
    (tag, oid), (_, parameters), *_ = der.children(algorithm)
    assert tag == der.OBJECT_IDENTIFIER
    (tag, paramset), *_ = der.children(parameters)
    assert tag == der.OBJECT_IDENTIFIER
    return _KEY_BITS[der.decode_oid(oid)], der.decode_oid(paramset)


def streebog(data: bytes, bits: int) -> bytes:
    """GOST R 34.11-2012 by gostcrypto, in the same byte order as OpenSSL's."""
    return bytes(gosthash.new(f"streebog{bits}", data=bytearray(data)).digest())


def exc_c14n(element: etree._Element) -> bytes:
    """Exclusive XML canonicalisation 1.0 without comments of ``element``'s subtree."""
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)


def sign(envelope: etree._Element, private_key_pem: bytes, certificate: x509.Certificate) -> bytes:
    """A copy of ``envelope`` with a signature built here end to end, with the key's size."""
    key = private_key_of(private_key_pem)
    signature_method, digest_method = URIS[key.bits]
    root = copy.deepcopy(envelope)
    digest = streebog(exc_c14n(root), key.bits)
    signature = etree.SubElement(root, f"{{{DS}}}Signature", nsmap={"ds": DS})
    signed_info = etree.SubElement(signature, f"{{{DS}}}SignedInfo")
    etree.SubElement(signed_info, f"{{{DS}}}CanonicalizationMethod", Algorithm=EXC_C14N)
    etree.SubElement(signed_info, f"{{{DS}}}SignatureMethod", Algorithm=signature_method)
    reference = etree.SubElement(signed_info, f"{{{DS}}}Reference", URI="")
    transforms = etree.SubElement(reference, f"{{{DS}}}Transforms")
    for transform in (ENVELOPED, EXC_C14N):
        etree.SubElement(transforms, f"{{{DS}}}Transform", Algorithm=transform)
    etree.SubElement(reference, f"{{{DS}}}DigestMethod", Algorithm=digest_method)
    etree.SubElement(reference, f"{{{DS}}}DigestValue").text = base64.b64encode(digest).decode()
    hashed = streebog(exc_c14n(signed_info), key.bits)
    r_s = bytes(key.signature_object().sign(bytearray(key.value), bytearray(hashed[::-1])))
    half = len(r_s) // 2
    etree.SubElement(signature, f"{{{DS}}}SignatureValue").text = base64.b64encode(
        r_s[half:] + r_s[:half]
    ).decode()
    x509_data = etree.SubElement(
        etree.SubElement(signature, f"{{{DS}}}KeyInfo"), f"{{{DS}}}X509Data"
    )
    etree.SubElement(x509_data, f"{{{DS}}}X509Certificate").text = base64.b64encode(
        certificate.public_bytes(serialization.Encoding.DER)
    ).decode()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


class Verdict(NamedTuple):
    """What gostcrypto found in a signed envelope."""

    digest_matches: bool
    signature_verifies: bool


def verify(signed: bytes) -> Verdict:
    """Check an enveloped GOST signature in the hub profile with gostcrypto alone.

    Only the cryptography: the shape is ``signing.profile``'s to check, trust the PKI's.
    """
    root = etree.fromstring(signed, _PARSER)
    signature = root.find(f"{{{DS}}}Signature")
    assert signature is not None
    signed_info = signature.find(f"{{{DS}}}SignedInfo")
    assert signed_info is not None
    certificate = x509.load_der_x509_certificate(
        base64.b64decode(signature.findtext(f".//{{{DS}}}X509Certificate") or "")
    )
    key = public_key_of(certificate)
    signature_method, digest_method = URIS[key.bits]
    assert signed_info.find(f"{{{DS}}}SignatureMethod[@Algorithm='{signature_method}']") is not None
    assert signed_info.find(f".//{{{DS}}}DigestMethod[@Algorithm='{digest_method}']") is not None
    digest = base64.b64decode(signed_info.findtext(f".//{{{DS}}}DigestValue") or "")
    value = base64.b64decode(signature.findtext(f"{{{DS}}}SignatureValue") or "")
    hashed = streebog(exc_c14n(signed_info), key.bits)
    half = len(value) // 2
    return Verdict(
        digest_matches=streebog(exc_c14n(_without_signature(root)), key.bits) == digest,
        signature_verifies=key.signature_object().verify(
            bytearray(key.value), bytearray(hashed[::-1]), bytearray(value[half:] + value[:half])
        ),
    )


def _without_signature(root: etree._Element) -> etree._Element:
    """The enveloped-signature transform: the document minus the Signature element itself."""
    document = copy.deepcopy(root)
    removed = document.find(f"{{{DS}}}Signature")
    assert removed is not None
    # lxml drops an element's tail with it; the transform keeps the text that followed it.
    previous = removed.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + (removed.tail or "")
    else:
        document.text = (document.text or "") + (removed.tail or "")
    document.remove(removed)
    return document
