"""The default signing provider, built on signxml (pure Python on lxml and cryptography).

signxml does the cryptography; this module wraps it in the hub's profile. Verification runs
``check_profile`` and the trust store first, because signxml skips unknown transforms and
accepts moved or sibling references (docs/xml-security.md), then pins the checked certificate so
signxml never builds its own chain, and returns only the tree signxml re-parsed from the
digested bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree
from signxml.algorithms import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConstructionMethod,
    SignatureMethod,
)
from signxml.exceptions import InvalidDigest, InvalidInput, InvalidSignature
from signxml.signer import XMLSigner
from signxml.verifier import SignatureConfiguration, VerifyResult, XMLVerifier

from signing.base import VerifiedMessage
from signing.errors import (
    DigestMismatch,
    SignatureInputInvalid,
    SignatureInvalid,
    SignerNotSender,
)
from signing.identity import SignerIdentity
from signing.keys import SigningKey
from signing.policy import VerifyPolicy
from signing.profile import DS_NAMESPACE, check_profile
from signing.trust import TrustStore

__all__ = ["XmlSigner", "XmlVerifier"]

_SIGNATURE = f"{{{DS_NAMESPACE}}}Signature"
_DEFAULT_POLICY = VerifyPolicy()


class XmlSigner:
    """Signs envelopes in the hub profile: enveloped, ``URI=""``, exc-c14n, SHA-256.

    RSA keys sign with rsa-sha256, EC keys with ecdsa-sha256.
    """

    def __init__(self, key: SigningKey) -> None:
        self._key = key
        self._method = (
            SignatureMethod.RSA_SHA256
            if isinstance(key.private_key, rsa.RSAPrivateKey)
            else SignatureMethod.ECDSA_SHA256
        )

    def sign(self, envelope: etree._Element) -> bytes:
        """Return the signed envelope as UTF-8 bytes with an XML declaration.

        The caller's element is not modified: signxml signs a re-parsed copy.

        Raises:
            ValueError: the envelope is already signed (sign ``VerifiedMessage.signed_xml``,
                which has no signature) or its root has an Id attribute, which would make
                signxml reference ``#Id`` instead of the profile's ``URI=""``.
        """
        if next(envelope.iter(_SIGNATURE), None) is not None:
            raise ValueError("the envelope already carries a ds:Signature")
        if envelope.get("Id") is not None or envelope.get("ID") is not None:
            raise ValueError("the envelope root must not carry an Id attribute")
        # A new XMLSigner per call: signxml keeps per-call state on the instance.
        signer = XMLSigner(
            method=SignatureConstructionMethod.enveloped,
            signature_algorithm=self._method,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
        )
        signed = signer.sign(envelope, key=self._key.private_key, cert=[self._key.certificate])
        return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


class XmlVerifier:
    """Verifies envelopes against the hub profile, a trust store and a policy; build once."""

    def __init__(self, trust_store: TrustStore, policy: VerifyPolicy = _DEFAULT_POLICY) -> None:
        self._trust_store = trust_store
        self._policy = policy
        self._signature_methods = frozenset(SignatureMethod(m) for m in policy.signature_methods)
        self._digest_algorithms = frozenset(DigestAlgorithm(m) for m in policy.digest_methods)

    def verify(
        self, envelope: etree._Element, *, expected_sender: str, now: datetime | None = None
    ) -> VerifiedMessage:
        """Verify the envelope's signature and return what was signed and who signed it.

        Checks, in order: the signature profile (before any cryptography), the certificate
        against the trust store at ``now`` (default: the current time), the signature and
        digest, and that the certificate's system code is ``expected_sender``.

        Left to the caller: replay and duplicate detection (MessageId), freshness of
        CreatedAt, authorisation (may this sender send this message type), and schema
        validation. Read ONLY ``VerifiedMessage.signed_xml``: ``envelope`` may hold unsigned
        comments or other content the signature does not cover.

        Raises:
            SignatureMissing: no ds:Signature.
            SignatureInputInvalid: outside the profile; ``detail`` names the rule.
            CertificateUntrusted, CertificateExpired, CertificateRevoked: the certificate.
            DigestMismatch: the content changed after signing.
            SignatureInvalid: the signature value does not verify.
            SignerNotSender: a valid signature by another system than ``expected_sender``.
            ValueError: ``now`` is naive.
        """
        now = datetime.now(UTC) if now is None else now
        certificate = check_profile(envelope, self._policy)
        self._trust_store.check(certificate, now=now, max_clock_skew=self._policy.max_clock_skew)
        signer = SignerIdentity.from_certificate(certificate)
        signed_xml = self._verify_signature(envelope, certificate, now=now)
        # Checked after the cryptography, so this error means a genuine signature by another
        # partner rather than a forgery.
        if signer.system_code != expected_sender:
            raise SignerNotSender(
                f"signed by system {signer.system_code!r}, expected {expected_sender!r}"
            )
        return VerifiedMessage(signed_xml=signed_xml, signer=signer, certificate=certificate)

    def _verify_signature(
        self, envelope: etree._Element, certificate: x509.Certificate, *, now: datetime
    ) -> etree._Element:
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
