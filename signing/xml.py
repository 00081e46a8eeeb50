"""The hub's XML signer and verifier: one profile, the algorithm chosen by the key.

``XmlSigner`` signs with whatever key it is given, in the profile's one shape
(``signing.enveloped``): RSA or EC through cryptography (``signing.rsa_ec``), GOST
R 34.10-2012 through the system OpenSSL (``signing.gost``). Signatures are checked by signxml
(RSA, ECDSA) or by ``signing.gost.xmldsig``.
``XmlVerifier`` checks every envelope the same way whatever its algorithm: the profile
before any cryptography, then that SignatureMethod, DigestMethod and the certificate's key are
one algorithm the policy accepts, then the certificate against the trust store, then the
signature with the provider of that algorithm, then that the signer is the expected sender.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree

from signing.base import VerifiedMessage
from signing.errors import (
    AlgorithmMismatch,
    CertificateNotGost,
    KeySizeNotAllowed,
    SignerNotSender,
)
from signing.gost import xmldsig as gost_xmldsig
from signing.gost.algorithms import by_signature_method
from signing.gost.openssl import GostPrivateKey, gost_algorithm_of
from signing.identity import SignerIdentity
from signing.keys import SigningKey
from signing.policy import VerifyPolicy
from signing.profile import DS_NAMESPACE, check_profile, signature_method_of
from signing.rsa_ec import sign_rsa_or_ecdsa
from signing.signxml_provider import SignxmlVerifier
from signing.trust import TrustStore

__all__ = ["XmlSigner", "XmlVerifier"]

_SIGNATURE = f"{{{DS_NAMESPACE}}}Signature"
_DEFAULT_POLICY = VerifyPolicy()


class XmlSigner:
    """Signs envelopes in the hub profile with one system's key.

    RSA keys sign rsa-sha256, EC keys ecdsa-sha256 (SHA-256 digests); GOST R 34.10-2012 keys
    sign gostr34102012-gostr34112012-256 or -512 over Streebog of the same size.
    """

    def __init__(self, key: SigningKey) -> None:
        self._key = key

    def sign(self, envelope: etree._Element) -> bytes:
        """Return the signed envelope as UTF-8 bytes with an XML declaration.

        The caller's element is not modified: the providers sign a copy.

        Raises:
            ValueError: the envelope is already signed (sign ``VerifiedMessage.signed_xml``,
                which has no signature).
        """
        if next(envelope.iter(_SIGNATURE), None) is not None:
            raise ValueError("the envelope already carries a ds:Signature")
        key, certificate = self._key.private_key, self._key.certificate
        if isinstance(key, GostPrivateKey):
            return gost_xmldsig.sign_enveloped(envelope, key, certificate)
        return sign_rsa_or_ecdsa(envelope, key, certificate)


class XmlVerifier:
    """Verifies envelopes against the hub profile, a trust store and a policy; build once."""

    def __init__(self, trust_store: TrustStore, policy: VerifyPolicy = _DEFAULT_POLICY) -> None:
        self._trust_store = trust_store
        self._policy = policy
        self._signxml = SignxmlVerifier(policy)

    def verify(
        self, envelope: etree._Element, *, expected_sender: str, now: datetime | None = None
    ) -> VerifiedMessage:
        """Verify the envelope's signature and return what was signed and who signed it.

        Checks, in order: the signature profile and the policy's algorithms (before any
        cryptography), that the certificate's key is the SignatureMethod's, the certificate
        against the trust store at ``now`` (default: the current time), the signature and
        digest, and that the certificate's system code is ``expected_sender``.

        Left to the caller: replay and duplicate detection (MessageId), freshness of
        CreatedAt, authorisation (may this sender send this message type), and schema
        validation. Read ONLY ``VerifiedMessage.signed_xml``: ``envelope`` may hold unsigned
        comments or other content the signature does not cover.

        Raises:
            SignatureMissing: no ds:Signature.
            SignatureInputInvalid: outside the profile; ``detail`` names the rule. Its
                subclasses AlgorithmNotAllowed, KeySizeNotAllowed, AlgorithmMismatch and
                CertificateNotGost name an algorithm this hub does not accept or that
                disagrees with the key.
            CertificateUntrusted, CertificateExpired, CertificateRevoked: the certificate.
            DigestMismatch: the content changed after signing.
            SignatureInvalid: the signature value does not verify.
            SignerNotSender: a valid signature by another system than ``expected_sender``.
            ValueError: ``now`` is naive.
        """
        now = datetime.now(UTC) if now is None else now
        certificate = check_profile(envelope, self._policy)
        method = signature_method_of(envelope)
        self._check_key_algorithm(method, certificate)
        self._trust_store.check(certificate, now=now, max_clock_skew=self._policy.max_clock_skew)
        signer = SignerIdentity.from_certificate(certificate)
        if by_signature_method(method) is not None:
            signed_xml = gost_xmldsig.verify_enveloped(envelope, certificate)
        else:
            signed_xml = self._signxml.verify(envelope, certificate, now=now)
        # Checked after the cryptography, so this error means a genuine signature by another
        # partner rather than a forgery.
        if signer.system_code != expected_sender:
            raise SignerNotSender(
                f"signed by system {signer.system_code!r}, expected {expected_sender!r}"
            )
        return VerifiedMessage(signed_xml=signed_xml, signer=signer, certificate=certificate)

    def _check_key_algorithm(self, method: str, certificate: x509.Certificate) -> None:
        """Refuse a certificate whose key the SignatureMethod cannot have been made with."""
        wanted, key = by_signature_method(method), gost_algorithm_of(certificate)
        if wanted is not None and key is None:
            raise CertificateNotGost(
                f"SignatureMethod {method!r} needs a GOST R 34.10-2012 certificate"
            )
        if key is not None and key != wanted:
            if key.signature_method not in self._policy.signature_methods:
                raise KeySizeNotAllowed(f"{key.bits}-bit GOST keys are not accepted here")
            raise AlgorithmMismatch(
                f"SignatureMethod {method!r} does not match the certificate's {key.bits}-bit "
                "GOST key"
            )
        if wanted is None and key is None:
            try:
                public = certificate.public_key()
            except UnsupportedAlgorithm as exc:
                raise AlgorithmMismatch("the certificate's key algorithm is not supported") from exc
            expected = rsa.RSAPublicKey if "#rsa-" in method else ec.EllipticCurvePublicKey
            if not isinstance(public, expected):
                raise AlgorithmMismatch(
                    f"SignatureMethod {method!r} does not match the certificate's key"
                )
