"""The GOST algorithm identifiers: XML-DSig URIs as Russian state exchange writes them, and OIDs.

The URIs are the ``cpxmlsec`` family that SMEV 3 and CryptoPro use
(docs/partners/signature-profile.md); the OIDs are those of GOST R 34.10-2012 keys and
signatures in X.509 (RFC 9215).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "GOST_256",
    "GOST_512",
    "GostAlgorithm",
    "GostBits",
    "by_digest_method",
    "by_key_oid",
    "by_signature_method",
]

_CPXMLSEC = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:"

GostBits = Literal[256, 512]


@dataclass(frozen=True)
class GostAlgorithm:
    """One GOST R 34.10-2012 key size with its Streebog digest, as XML-DSig and X.509 name it."""

    bits: GostBits
    #: The ``VerifyPolicy`` provider name that admits it.
    provider: str
    signature_method: str
    digest_method: str
    #: The SubjectPublicKeyInfo algorithm of a certificate with such a key.
    key_oid: str
    #: The OpenSSL digest name of the GOST engine.
    openssl_digest: str

    @property
    def signature_bytes(self) -> int:
        """The length of a raw signature s‖r: twice the key size in bytes."""
        return self.bits // 4


GOST_256 = GostAlgorithm(
    bits=256,
    provider="gost256",
    signature_method=_CPXMLSEC + "gostr34102012-gostr34112012-256",
    digest_method=_CPXMLSEC + "gostr34112012-256",
    key_oid="1.2.643.7.1.1.1.1",
    openssl_digest="md_gost12_256",
)
GOST_512 = GostAlgorithm(
    bits=512,
    provider="gost512",
    signature_method=_CPXMLSEC + "gostr34102012-gostr34112012-512",
    digest_method=_CPXMLSEC + "gostr34112012-512",
    key_oid="1.2.643.7.1.1.1.2",
    openssl_digest="md_gost12_512",
)
_ALL = (GOST_256, GOST_512)


def by_signature_method(uri: str) -> GostAlgorithm | None:
    """The GOST algorithm a SignatureMethod URI names; None for any other URI."""
    return next((a for a in _ALL if a.signature_method == uri), None)


def by_digest_method(uri: str) -> GostAlgorithm | None:
    """The GOST algorithm whose Streebog a DigestMethod URI names; None for any other URI."""
    return next((a for a in _ALL if a.digest_method == uri), None)


def by_key_oid(oid: str) -> GostAlgorithm | None:
    """The GOST algorithm of a certificate's public key algorithm OID; None when not GOST."""
    return next((a for a in _ALL if a.key_oid == oid), None)
