"""The verification policy: which algorithms and how much clock skew a verifier accepts.

The profile's hard rules (one enveloped signature over the whole envelope, exclusive c14n, an
X.509 certificate from the trust store) are not configurable. A policy may only narrow the
algorithm sets below, never widen them: there is no switch that turns a check off.

Algorithms come in provider families (``PROVIDERS``): ``rsa`` (RSA and ECDSA over SHA-2,
checked by signxml) and ``gost256``/``gost512`` (GOST R 34.10-2012 over Streebog, signed by the
system OpenSSL's GOST engine). A hub accepts exactly the families it is configured with
(``HUB_SIGNATURE_PROVIDERS``); the default policy is ``rsa`` alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from cryptography import x509

from signing.gost.algorithms import GOST_256, GOST_512, by_key_oid

__all__ = [
    "ALLOWED_DIGEST_METHODS",
    "ANY_PROVIDER",
    "ALLOWED_SIGNATURE_METHODS",
    "DIGEST_SHA256",
    "ECDSA_SHA256",
    "PROVIDERS",
    "RSA_SHA256",
    "VerifyPolicy",
    "provider_of",
]

_MORE = "http://www.w3.org/2001/04/xmldsig-more#"
_XMLENC = "http://www.w3.org/2001/04/xmlenc#"

RSA_SHA256 = _MORE + "rsa-sha256"
ECDSA_SHA256 = _MORE + "ecdsa-sha256"
DIGEST_SHA256 = _XMLENC + "sha256"

_RSA_SIGNATURE_METHODS = frozenset(
    {
        RSA_SHA256,
        _MORE + "rsa-sha384",
        _MORE + "rsa-sha512",
        ECDSA_SHA256,
        _MORE + "ecdsa-sha384",
        _MORE + "ecdsa-sha512",
    }
)
_RSA_DIGEST_METHODS = frozenset({DIGEST_SHA256, _MORE + "sha384", _XMLENC + "sha512"})

#: Each provider family: the SignatureMethods and DigestMethods it signs and verifies.
PROVIDERS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "rsa": (_RSA_SIGNATURE_METHODS, _RSA_DIGEST_METHODS),
    **{
        gost.provider: (frozenset({gost.signature_method}), frozenset({gost.digest_method}))
        for gost in (GOST_256, GOST_512)
    },
}

#: Every SignatureMethod the profile admits, whatever a hub is configured with.
ALLOWED_SIGNATURE_METHODS = frozenset().union(*(s for s, _ in PROVIDERS.values()))
#: Every DigestMethod the profile admits.
ALLOWED_DIGEST_METHODS = frozenset().union(*(d for _, d in PROVIDERS.values()))


def provider_of(certificate: x509.Certificate) -> str:
    """The provider family that signs with the certificate's key: rsa, gost256 or gost512."""
    gost = by_key_oid(certificate.public_key_algorithm_oid.dotted_string)
    return "rsa" if gost is None else gost.provider


#: Upper bound for ``max_clock_skew``; more would make validity periods meaningless.
_MAX_CLOCK_SKEW_LIMIT = timedelta(hours=1)


@dataclass(frozen=True)
class VerifyPolicy:
    """What a verifier accepts beyond the fixed profile; the default is the ``rsa`` family.

    Raises:
        ValueError: an algorithm outside the profile, an empty set, or an out-of-range skew.
    """

    #: SignatureMethod algorithm URIs accepted (a subset of ``ALLOWED_SIGNATURE_METHODS``).
    signature_methods: frozenset[str] = field(default=PROVIDERS["rsa"][0])
    #: DigestMethod algorithm URIs accepted (a subset of ``ALLOWED_DIGEST_METHODS``).
    digest_methods: frozenset[str] = field(default=PROVIDERS["rsa"][1])
    #: Tolerance for partner clocks when checking certificate validity periods.
    max_clock_skew: timedelta = timedelta(seconds=300)

    @classmethod
    def for_providers(
        cls, providers: Iterable[str], *, max_clock_skew: timedelta = timedelta(seconds=300)
    ) -> VerifyPolicy:
        """The policy that accepts exactly the algorithms of ``providers`` (``PROVIDERS`` keys).

        Raises:
            ValueError: an unknown provider name or none at all.
        """
        names = set(providers)
        unknown = names - PROVIDERS.keys()
        if unknown or not names:
            raise ValueError(
                f"signature providers must be a non-empty subset of {sorted(PROVIDERS)}, "
                f"not {sorted(names)}"
            )
        return cls(
            signature_methods=frozenset().union(*(PROVIDERS[n][0] for n in names)),
            digest_methods=frozenset().union(*(PROVIDERS[n][1] for n in names)),
            max_clock_skew=max_clock_skew,
        )

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


#: Every provider family at once: for a partner or a third party checking a signature against
#: a CA of its own choosing, not for a hub, which accepts only what it is configured with.
ANY_PROVIDER = VerifyPolicy.for_providers(PROVIDERS)
