"""The RSA/ECDSA verifier, built on signxml (pure Python on lxml and cryptography).

signxml checks the signature; ``signing.xml`` wraps it in the hub's profile (the hub signs
with ``signing.rsa_ec``). Verification
runs after ``check_profile`` and the trust store, because signxml skips unknown transforms and
accepts moved or sibling references (docs/xml-security.md); it pins the checked certificate
so signxml never builds its own chain, and returns only the tree signxml re-parsed from the
digested bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from cryptography import x509
from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidDigest, InvalidInput, InvalidSignature
from signxml.verifier import SignatureConfiguration, VerifyResult, XMLVerifier

from signing.errors import DigestMismatch, SignatureInputInvalid, SignatureInvalid
from signing.policy import PROVIDERS, VerifyPolicy

__all__ = ["SignxmlVerifier"]


class SignxmlVerifier:
    """Checks RSA/ECDSA signatures of profile-checked envelopes; build once per policy."""

    def __init__(self, policy: VerifyPolicy) -> None:
        rsa_signatures, rsa_digests = PROVIDERS["rsa"]
        self._signature_methods = frozenset(
            SignatureMethod(m) for m in policy.signature_methods & rsa_signatures
        )
        self._digest_algorithms = frozenset(
            DigestAlgorithm(m) for m in policy.digest_methods & rsa_digests
        )

    def verify(
        self, envelope: etree._Element, certificate: x509.Certificate, *, now: datetime
    ) -> etree._Element:
        """Check the signature value and digest; return the tree signxml re-parsed.

        Raises:
            DigestMismatch, SignatureInvalid, SignatureInputInvalid: as signxml found.
        """
        # The trust store has already judged validity with the policy's clock skew; clamp the
        # time so signxml's own, skew-less, validity check cannot contradict it.
        verification_time = min(
            max(now, certificate.not_valid_before_utc), certificate.not_valid_after_utc
        )
        config = SignatureConfiguration(
            require_x509=True,
            location="./",
            expect_references=1,
            signature_methods=self._signature_methods,
            digest_algorithms=self._digest_algorithms,
            verification_time=verification_time,
        )
        with _map_signxml_errors():
            # A new XMLVerifier per call: signxml keeps per-call state on the instance.
            result = XMLVerifier().verify(envelope, x509_cert=certificate, expect_config=config)
        if not isinstance(result, VerifyResult) or result.signed_xml is None:
            raise SignatureInputInvalid("reference", "the reference is not one XML element")
        return result.signed_xml


@contextmanager
def _map_signxml_errors() -> Iterator[None]:
    """Translate signxml's exceptions into the signing error tree, in one place."""
    try:
        yield
    except InvalidDigest as exc:
        raise DigestMismatch("the signed content was changed after signing") from exc
    except InvalidSignature as exc:
        raise SignatureInvalid("the signature value does not verify") from exc
    except (InvalidInput, etree.DocumentInvalid) as exc:
        raise SignatureInputInvalid("structure", "the signature is malformed") from exc
