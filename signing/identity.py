"""Who a certificate speaks for: the partner system code bound in its SubjectAlternativeName.

The hub's CA binds each partner system to its certificate as a SAN URI
``urn:family-hub:system:<code>`` with the same code as the subject CN. The verifier trusts the
code only after the trust store has accepted the certificate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from signing.errors import CertificateUntrusted

__all__ = ["SYSTEM_URI_PREFIX", "SignerIdentity", "is_system_code", "system_code_of"]

#: SAN URI prefix that binds a certificate to a partner system code.
SYSTEM_URI_PREFIX = "urn:family-hub:system:"

_SYSTEM_CODE = re.compile(r"[a-z][a-z0-9_-]{1,31}")


def is_system_code(value: str) -> bool:
    """Return whether ``value`` is a well-formed system code (``[a-z][a-z0-9_-]{1,31}``)."""
    return _SYSTEM_CODE.fullmatch(value) is not None


def system_code_of(certificate: x509.Certificate) -> str:
    """Return the system code bound in the certificate's SAN, checked against its subject CN.

    Raises:
        CertificateUntrusted: no SAN, not exactly one system URI, a malformed code, or a CN
            that differs from the code.
    """
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound as exc:
        raise CertificateUntrusted(
            f"certificate serial {certificate.serial_number} has no SubjectAlternativeName"
        ) from exc
    codes = [
        uri.removeprefix(SYSTEM_URI_PREFIX)
        for uri in san.value.get_values_for_type(x509.UniformResourceIdentifier)
        if uri.startswith(SYSTEM_URI_PREFIX)
    ]
    # Two system URIs would let one key speak for two systems; refuse rather than pick one.
    if len(codes) != 1 or not is_system_code(codes[0]):
        raise CertificateUntrusted(
            f"certificate serial {certificate.serial_number} must name exactly one system code"
        )
    common_names = [
        attribute.value
        for attribute in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    ]
    if common_names != [codes[0]]:
        raise CertificateUntrusted(
            f"certificate serial {certificate.serial_number}: subject CN differs from system code"
        )
    return codes[0]


@dataclass(frozen=True)
class SignerIdentity:
    """The partner system that signed a verified message, as its certificate states it."""

    system_code: str
    organisation: str
    #: Lowercase hex SHA-256 of the certificate's DER encoding.
    fingerprint_sha256: str
    serial_number: int
    not_after: datetime

    @classmethod
    def from_certificate(cls, certificate: x509.Certificate) -> SignerIdentity:
        """Return the identity stated by ``certificate`` (call only after trusting it).

        Raises:
            CertificateUntrusted: the certificate names no valid system code.
        """
        organisations = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        return cls(
            system_code=system_code_of(certificate),
            organisation=str(organisations[0].value) if organisations else "",
            fingerprint_sha256=certificate.fingerprint(hashes.SHA256()).hex(),
            serial_number=certificate.serial_number,
            not_after=certificate.not_valid_after_utc,
        )
