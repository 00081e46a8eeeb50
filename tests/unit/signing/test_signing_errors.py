"""Error reasons are the hub's rejection codes: stable, unique, and in a fixed tree."""

from __future__ import annotations

import signing
from signing import (
    AlgorithmMismatch,
    AlgorithmNotAllowed,
    CertificateExpired,
    CertificateNotGost,
    CertificateRevoked,
    CertificateUntrusted,
    DigestMismatch,
    KeySizeNotAllowed,
    SignatureInputInvalid,
    SignatureInvalid,
    SignatureMissing,
    SignerNotSender,
    SigningError,
)


def test_reasons_are_stable() -> None:
    assert {cls: cls.reason for cls in _ERRORS} == {
        SignatureInvalid: "invalid",
        DigestMismatch: "digest_mismatch",
        CertificateUntrusted: "untrusted",
        CertificateExpired: "expired",
        CertificateRevoked: "revoked",
        SignerNotSender: "signer_not_sender",
        SignatureInputInvalid: "profile_violation",
        SignatureMissing: "missing",
        AlgorithmNotAllowed: "algorithm_not_allowed",
        KeySizeNotAllowed: "key_size_not_allowed",
        AlgorithmMismatch: "algorithm_mismatch",
        CertificateNotGost: "certificate_not_gost",
    }


def test_tree_matches_the_docstring() -> None:
    for cls in (DigestMismatch, CertificateUntrusted, CertificateExpired, CertificateRevoked):
        assert cls.__bases__ == (SignatureInvalid,)
    assert SignerNotSender.__bases__ == (SignatureInvalid,)
    profile_errors: tuple[type[SignatureInputInvalid], ...] = (
        SignatureMissing,
        AlgorithmNotAllowed,
        KeySizeNotAllowed,
        AlgorithmMismatch,
        CertificateNotGost,
    )
    for error in profile_errors:
        assert error.__bases__ == (SignatureInputInvalid,)
    assert SignatureInvalid.__bases__ == SignatureInputInvalid.__bases__ == (SigningError,)


def test_profile_violation_carries_the_rule() -> None:
    error = SignatureInputInvalid("transform", "no XSLT")
    assert error.detail == "transform"
    assert SignatureMissing().detail == "count"


def test_public_names_are_exported() -> None:
    assert set(signing.__all__) == {name for name in dir(signing) if not name.startswith("_")} - {
        "base",
        "enveloped",
        "errors",
        "gost",
        "identity",
        "keys",
        "pki",
        "policy",
        "profile",
        "reloading",
        "rsa_ec",
        "signxml_provider",
        "trust",
        "watch",
        "xml",
    }


_ERRORS: list[type[SigningError]] = [
    SignatureInvalid,
    DigestMismatch,
    CertificateUntrusted,
    CertificateExpired,
    CertificateRevoked,
    SignerNotSender,
    SignatureInputInvalid,
    SignatureMissing,
    AlgorithmNotAllowed,
    KeySizeNotAllowed,
    AlgorithmMismatch,
    CertificateNotGost,
]
