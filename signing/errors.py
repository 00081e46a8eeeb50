"""Errors raised by the signing package, each with a stable machine-readable reason.

The hub maps every error to its rejection code ``signature.<reason>``; reasons are never
changed or reused. Messages carry ids, algorithm URIs and serial numbers, never personal data.
signxml and cryptography exceptions are wrapped here (raised ``from exc``) so that callers
never import them.

    SigningError
    ├── SignatureInvalid                reason="invalid"            bad signature value
    │   ├── DigestMismatch              reason="digest_mismatch"    content changed after signing
    │   ├── CertificateUntrusted        reason="untrusted"          foreign CA, key usage, no code
    │   ├── CertificateExpired          reason="expired"            also not yet valid
    │   ├── CertificateRevoked          reason="revoked"            serial on the CA's CRL
    │   └── SignerNotSender             reason="signer_not_sender"  certificate of another system
    └── SignatureInputInvalid           reason="profile_violation"  outside the signature profile
        ├── SignatureMissing            reason="missing"            no ds:Signature at all
        ├── AlgorithmNotAllowed         reason="algorithm_not_allowed"  known, not configured here
        ├── KeySizeNotAllowed           reason="key_size_not_allowed"   GOST 512 where only 256
        ├── AlgorithmMismatch           reason="algorithm_mismatch"     methods and key disagree
        └── CertificateNotGost          reason="certificate_not_gost"   GOST method, other key
"""

from __future__ import annotations

from typing import ClassVar, Literal

__all__ = [
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
]

#: Which rule of the signature profile a document broke (``SignatureInputInvalid.detail``).
ProfileRule = Literal[
    "count", "position", "structure", "reference", "transform", "algorithm", "key_info"
]


class SigningError(Exception):
    """Base of every error the signing package raises for a message."""

    reason: ClassVar[str] = "error"


class SignatureInvalid(SigningError):
    """The signature does not verify: the signature value is wrong for the signed content."""

    reason = "invalid"


class DigestMismatch(SignatureInvalid):
    """The signed content was changed after signing (the Reference digest does not match)."""

    reason = "digest_mismatch"


class CertificateUntrusted(SignatureInvalid):
    """The certificate was not issued by a trusted CA, lacks key usage or names no system."""

    reason = "untrusted"


class CertificateExpired(SignatureInvalid):
    """The certificate is outside its validity period (expired or not yet valid)."""

    reason = "expired"


class CertificateRevoked(SignatureInvalid):
    """The certificate's serial number is on its CA's revocation list."""

    reason = "revoked"


class SignerNotSender(SignatureInvalid):
    """The signing certificate belongs to another system than the expected sender."""

    reason = "signer_not_sender"


class SignatureInputInvalid(SigningError):
    """The document's signature is outside the profile; refused before any cryptography.

    Attributes:
        detail: the profile rule that was broken, e.g. ``"transform"``.
    """

    reason = "profile_violation"

    def __init__(self, detail: ProfileRule, message: str) -> None:
        super().__init__(f"{detail}: {message}")
        self.detail: ProfileRule = detail


class SignatureMissing(SignatureInputInvalid):
    """The document carries no ds:Signature."""

    reason = "missing"

    def __init__(self, message: str = "the document carries no ds:Signature") -> None:
        super().__init__("count", message)


class AlgorithmNotAllowed(SignatureInputInvalid):
    """A signature algorithm the project knows but this hub is not configured to accept.

    A GOST signature in a region configured RSA-only, or the reverse
    (``HUB_SIGNATURE_PROVIDERS``).
    """

    reason = "algorithm_not_allowed"

    def __init__(self, message: str) -> None:
        super().__init__("algorithm", message)


class KeySizeNotAllowed(SignatureInputInvalid):
    """A GOST R 34.10-2012 512-bit signature or key where only 256-bit ones are configured."""

    reason = "key_size_not_allowed"

    def __init__(self, message: str) -> None:
        super().__init__("algorithm", message)


class AlgorithmMismatch(SignatureInputInvalid):
    """SignatureMethod, DigestMethod and the certificate's key are not one algorithm family.

    A GOST signature over a SHA-256 digest, an RSA SignatureMethod with a GOST or EC key, or a
    256-bit GOST SignatureMethod with a 512-bit key.
    """

    reason = "algorithm_mismatch"

    def __init__(self, message: str) -> None:
        super().__init__("algorithm", message)


class CertificateNotGost(SignatureInputInvalid):
    """A GOST SignatureMethod with a certificate whose key is not GOST R 34.10-2012."""

    reason = "certificate_not_gost"

    def __init__(self, message: str) -> None:
        super().__init__("key_info", message)
