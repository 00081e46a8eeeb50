"""Signing keys: a private key object and its certificate, loaded once and reused.

Keys are passed around as objects, never as paths or PEM: loading an RSA key runs a
consistency check of tens of milliseconds, which cut throughput from 278 to 18 msg/s when it
happened per message (docs/performance.md, "Signing").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from signing.gost.openssl import GostPrivateKey
from signing.identity import system_code_of

__all__ = ["PrivateKey", "SigningKey"]

#: The private key types ``signing.rsa_ec`` signs with (and the dev PKI's RSA CA issues).
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class SigningKey:
    """A partner system's private key with the certificate that binds it to its system code."""

    private_key: PrivateKey | GostPrivateKey
    certificate: x509.Certificate

    def __post_init__(self) -> None:
        # A key that does not match its certificate would produce signatures nobody can verify;
        # fail when the key is built, not on the partner's side.
        if isinstance(self.private_key, GostPrivateKey):
            matches = self.private_key.matches(self.certificate)
        else:
            try:
                matches = self.private_key.public_key() == self.certificate.public_key()
            except UnsupportedAlgorithm:
                matches = False
        if not matches:
            raise ValueError("the private key does not match the certificate's public key")

    @classmethod
    def load(cls, key_path: Path, cert_path: Path) -> SigningKey:
        """Load an unencrypted PEM private key (RSA, EC or GOST R 34.10-2012) and its certificate.

        Raises:
            OSError: a file cannot be read.
            GostUnavailable: a GOST key on a machine without OpenSSL's GOST engine.
            ValueError: malformed PEM, an unsupported key type, or a key/certificate mismatch.
        """
        pem = key_path.read_bytes()
        private_key: PrivateKey | GostPrivateKey
        try:
            loaded = serialization.load_pem_private_key(pem, password=None)
        except UnsupportedAlgorithm:
            # pyca/cryptography has no GOST; the system OpenSSL's engine reads the key.
            private_key = GostPrivateKey.from_pem(pem)
        else:
            if not isinstance(loaded, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
                raise ValueError(
                    f"{key_path.name}: only RSA, EC and GOST private keys can sign messages"
                )
            private_key = loaded
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        return cls(private_key=private_key, certificate=certificate)

    @property
    def system_code(self) -> str:
        """The system code bound in the certificate's SubjectAlternativeName.

        Raises:
            CertificateUntrusted: the certificate names no valid system code.
        """
        return system_code_of(self.certificate)
