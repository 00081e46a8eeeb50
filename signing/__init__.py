"""XML-DSig signing and verification of hub envelopes, the trust store and the dev PKI.

Build a verifier once and read only what it returns::

    verifier = XmlVerifier(TrustStore.load(pki_dir), VerifyPolicy())
    verified = verifier.verify(envelope, expected_sender="kdn")
    envelope = verified.signed_xml

This package imports nothing from the rest of the project.
"""

from signing.base import Signer, VerifiedMessage, Verifier
from signing.errors import (
    AlgorithmMismatch,
    AlgorithmNotAllowed,
    CertificateExpired,
    CertificateNotGost,
    CertificateRevoked,
    CertificateUntrusted,
    DigestMismatch,
    KeySizeNotAllowed,
    ProfileRule,
    SignatureInputInvalid,
    SignatureInvalid,
    SignatureMissing,
    SignerNotSender,
    SigningError,
)
from signing.gost import GostUnavailable
from signing.identity import SignerIdentity
from signing.keys import SigningKey
from signing.pki import HUB_SYSTEM_CODE, Crypto, DevPki, KeyAlgorithm, SystemCredentials
from signing.policy import ANY_PROVIDER, VerifyPolicy, provider_of
from signing.profile import find_unverified_certificate
from signing.reloading import ReloadingSigner
from signing.trust import CRL_FILE, CertificateStanding, TrustCacheInfo, TrustStore
from signing.xml import XmlSigner, XmlVerifier

# Grouped by concept (CONTRIBUTING.md), not alphabetically.
__all__ = [
    # Contract
    "Signer",
    "VerifiedMessage",
    "Verifier",
    # The signer and verifier (RSA/ECDSA checked by signxml, GOST through the system OpenSSL)
    "XmlSigner",
    "XmlVerifier",
    # Key rotation in a running process
    "ReloadingSigner",
    # Keys, identity, policy and trust
    "SignerIdentity",
    "SigningKey",
    "TrustCacheInfo",
    "TrustStore",
    "CRL_FILE",
    "VerifyPolicy",
    "ANY_PROVIDER",
    "provider_of",
    # What a stored document claims and where its certificate stands now (trace, evidence)
    "CertificateStanding",
    "find_unverified_certificate",
    # Development PKI
    "HUB_SYSTEM_CODE",
    "Crypto",
    "DevPki",
    "KeyAlgorithm",
    "SystemCredentials",
    # Errors
    "AlgorithmMismatch",
    "AlgorithmNotAllowed",
    "CertificateExpired",
    "CertificateRevoked",
    "CertificateNotGost",
    "CertificateUntrusted",
    "DigestMismatch",
    "KeySizeNotAllowed",
    "ProfileRule",
    "SignatureInputInvalid",
    "SignatureInvalid",
    "SignatureMissing",
    "SignerNotSender",
    "SigningError",
    "GostUnavailable",
]
