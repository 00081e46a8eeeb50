"""RSA and ECDSA over SHA-256 in the hub profile: the key's half of ``signing.enveloped``.

XML-DSig writes an ECDSA SignatureValue as r‖s, each big-endian and as long as the curve's
order (RFC 4050 §3.3, RFC 6931 §2.3.6), where cryptography returns DER.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from lxml import etree

from signing import enveloped
from signing.keys import PrivateKey
from signing.policy import DIGEST_SHA256, ECDSA_SHA256, RSA_SHA256

__all__ = ["sign_rsa_or_ecdsa"]


def sign_rsa_or_ecdsa(
    envelope: etree._Element, key: PrivateKey, certificate: x509.Certificate
) -> bytes:
    """Sign a copy of ``envelope``: rsa-sha256 with an RSA key, ecdsa-sha256 with an EC key,
    a SHA-256 digest either way; UTF-8 with a declaration.

    The caller checks that the envelope is unsigned and that ``certificate`` carries ``key``.
    """
    sign: Callable[[bytes], bytes]
    if isinstance(key, rsa.RSAPrivateKey):
        method, sign = RSA_SHA256, functools.partial(_rsa_sha256, key)
    else:
        method, sign = ECDSA_SHA256, functools.partial(_ecdsa_sha256, key)
    return enveloped.sign_enveloped(
        envelope,
        certificate,
        signature_method=method,
        digest_method=DIGEST_SHA256,
        digest=lambda canonical: hashlib.sha256(canonical).digest(),
        sign=sign,
    )


def _rsa_sha256(key: rsa.RSAPrivateKey, data: bytes) -> bytes:
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def _ecdsa_sha256(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")
