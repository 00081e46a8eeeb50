"""Signer identity: the system code and organisation a certificate states."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes

from signing import SignerIdentity, SigningKey


def test_identity_is_read_from_the_certificate(police_key: SigningKey) -> None:
    certificate = police_key.certificate
    identity = SignerIdentity.from_certificate(certificate)
    assert identity == SignerIdentity(
        system_code="police",
        organisation="ОМВД России по району",
        fingerprint_sha256=certificate.fingerprint(hashes.SHA256()).hex(),
        serial_number=certificate.serial_number,
        not_after=certificate.not_valid_after_utc,
    )
