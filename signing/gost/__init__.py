"""GOST R 34.10-2012 signatures over GOST R 34.11-2012 (Streebog) digests.

``openssl`` binds the system OpenSSL with Debian's GOST engine (raw-byte sign, verify,
Streebog, certificate and CRL signatures); ``xmldsig`` writes and checks the hub's enveloped
signature profile with it; ``algorithms`` names the URIs and OIDs; ``dev_ca`` makes the GOST
dev PKI's keys, certificates and CRLs with the ``openssl`` command (``signing.pki``).
``signing.xml`` chooses this provider whenever the key or the SignatureMethod is GOST.
"""

from signing.gost.algorithms import GOST_256, GOST_512, GostAlgorithm
from signing.gost.openssl import (
    GostPrivateKey,
    GostPublicKey,
    GostUnavailable,
    certificate_signed_by,
    crl_signed_by,
    gost_algorithm_of,
    streebog,
)

__all__ = [
    "GOST_256",
    "GOST_512",
    "GostAlgorithm",
    "GostPrivateKey",
    "GostPublicKey",
    "GostUnavailable",
    "certificate_signed_by",
    "crl_signed_by",
    "gost_algorithm_of",
    "streebog",
]
