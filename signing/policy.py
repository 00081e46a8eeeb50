"""The verification policy: which algorithms and how much clock skew a verifier accepts.

The profile's hard rules (one enveloped signature over the whole envelope, exclusive c14n, an
X.509 certificate from the trust store) are not configurable. A policy may only narrow the
algorithm sets below, never widen them: there is no switch that turns a check off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

__all__ = [
    "ALLOWED_DIGEST_METHODS",
    "ALLOWED_SIGNATURE_METHODS",
    "DIGEST_SHA256",
    "ECDSA_SHA256",
    "RSA_SHA256",
    "VerifyPolicy",
]

_MORE = "http://www.w3.org/2001/04/xmldsig-more#"
_XMLENC = "http://www.w3.org/2001/04/xmlenc#"

RSA_SHA256 = _MORE + "rsa-sha256"
ECDSA_SHA256 = _MORE + "ecdsa-sha256"
DIGEST_SHA256 = _XMLENC + "sha256"

#: Every SignatureMethod the profile admits: RSA PKCS#1 v1.5 or ECDSA, SHA-256 or stronger.
ALLOWED_SIGNATURE_METHODS = frozenset(
    {
        RSA_SHA256,
        _MORE + "rsa-sha384",
        _MORE + "rsa-sha512",
        ECDSA_SHA256,
        _MORE + "ecdsa-sha384",
        _MORE + "ecdsa-sha512",
    }
)
#: Every DigestMethod the profile admits: SHA-256 or stronger.
ALLOWED_DIGEST_METHODS = frozenset({DIGEST_SHA256, _MORE + "sha384", _XMLENC + "sha512"})

#: Upper bound for ``max_clock_skew``; more would make validity periods meaningless.
_MAX_CLOCK_SKEW_LIMIT = timedelta(hours=1)


@dataclass(frozen=True)
class VerifyPolicy:
    """What a verifier accepts beyond the fixed profile; the defaults are the profile itself.

    Raises:
        ValueError: an algorithm outside the profile, an empty set, or an out-of-range skew.
    """

    #: SignatureMethod algorithm URIs accepted (a subset of ``ALLOWED_SIGNATURE_METHODS``).
    signature_methods: frozenset[str] = field(default=ALLOWED_SIGNATURE_METHODS)
    #: DigestMethod algorithm URIs accepted (a subset of ``ALLOWED_DIGEST_METHODS``).
    digest_methods: frozenset[str] = field(default=ALLOWED_DIGEST_METHODS)
    #: Tolerance for partner clocks when checking certificate validity periods.
    max_clock_skew: timedelta = timedelta(seconds=300)

    def __post_init__(self) -> None:
        # Fail at construction, naming the fix, rather than weaken verification silently.
        if not self.signature_methods or not self.signature_methods <= ALLOWED_SIGNATURE_METHODS:
            raise ValueError(
                "signature_methods must be a non-empty subset of ALLOWED_SIGNATURE_METHODS"
            )
        if not self.digest_methods or not self.digest_methods <= ALLOWED_DIGEST_METHODS:
            raise ValueError("digest_methods must be a non-empty subset of ALLOWED_DIGEST_METHODS")
        if not timedelta(0) <= self.max_clock_skew <= _MAX_CLOCK_SKEW_LIMIT:
            raise ValueError("max_clock_skew must be between 0 and 1 hour")
