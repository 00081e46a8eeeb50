"""GOST R 34.10-2012 and 34.11-2012 through the system OpenSSL and Debian's GOST engine.

``pyca/cryptography`` has no GOST and bundles its own OpenSSL, so this module binds the
system's ``libcrypto.so.3`` with ctypes and loads the ``gost`` engine
(``libengine-gost-openssl``) into it. In-process calls matter: through the ``openssl``
command a signature costs about 11 ms, nearly all of it starting the process; here a 5 KB
sign+verify pair costs about 0.3 ms (docs/performance.md, "GOST").

Only this module touches libcrypto. It signs and verifies raw bytes; the XML around them is
``signing.gost.xmldsig``'s. ctypes releases the GIL during each call, and every handle here is
used read-only after loading, so keys are shared between threads.
"""

from __future__ import annotations

import ctypes
import threading
import weakref
from ctypes import POINTER, byref, c_char_p, c_int, c_long, c_size_t, c_uint, c_void_p
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from signing.gost.algorithms import GOST_256, GOST_512, GostAlgorithm, GostBits, by_key_oid

__all__ = [
    "GostPrivateKey",
    "GostPublicKey",
    "GostUnavailable",
    "certificate_signed_by",
    "crl_signed_by",
    "gost_algorithm_of",
    "streebog",
]

_INSTALL = "apt-get install libengine-gost-openssl"
# ENGINE_METHOD_DIGESTS | PKEY_METHS | PKEY_ASN1_METHS: the engine becomes the default only
# for the GOST algorithms it implements; RSA, TLS and hashlib keep OpenSSL's own code.
_ENGINE_METHODS = 0x0080 | 0x0200 | 0x0400
_NID_KEY = {979: GOST_256, 980: GOST_512}  # NID_id_GostR3410_2012_256 / _512


class GostUnavailable(RuntimeError):
    """The system OpenSSL or its GOST engine is missing; the message says what to install."""


class _LibCrypto:
    """The libcrypto functions this module calls, typed once."""

    def __init__(self) -> None:
        try:
            self._lib = ctypes.CDLL("libcrypto.so.3")
        except OSError as exc:
            raise GostUnavailable(f"the system OpenSSL 3 is missing ({exc}); {_INSTALL}") from exc
        bind = self._bind
        self.err_clear = bind("ERR_clear_error", None)
        self.engine_by_id = bind("ENGINE_by_id", c_void_p, c_char_p)
        self.engine_init = bind("ENGINE_init", c_int, c_void_p)
        self.engine_set_default = bind("ENGINE_set_default", c_int, c_void_p, c_uint)
        self.bio_new_mem_buf = bind("BIO_new_mem_buf", c_void_p, c_char_p, c_int)
        self.bio_free = bind("BIO_free", c_int, c_void_p)
        self.pem_read_private_key = bind(
            "PEM_read_bio_PrivateKey", c_void_p, c_void_p, c_void_p, c_void_p, c_void_p
        )
        self.pkey_id = bind("EVP_PKEY_get_id", c_int, c_void_p)
        self.pkey_eq = bind("EVP_PKEY_eq", c_int, c_void_p, c_void_p)
        self.pkey_up_ref = bind("EVP_PKEY_up_ref", c_int, c_void_p)
        self.pkey_free = bind("EVP_PKEY_free", None, c_void_p)
        self.digest_by_name = bind("EVP_get_digestbyname", c_void_p, c_char_p)
        self.digest = bind(
            "EVP_Digest", c_int, c_char_p, c_size_t, c_char_p, POINTER(c_uint), c_void_p, c_void_p
        )
        self.md_ctx_new = bind("EVP_MD_CTX_new", c_void_p)
        self.md_ctx_free = bind("EVP_MD_CTX_free", None, c_void_p)
        self.sign_init = bind(
            "EVP_DigestSignInit", c_int, c_void_p, c_void_p, c_void_p, c_void_p, c_void_p
        )
        self.sign = bind(
            "EVP_DigestSign", c_int, c_void_p, c_char_p, POINTER(c_size_t), c_char_p, c_size_t
        )
        self.verify_init = bind(
            "EVP_DigestVerifyInit", c_int, c_void_p, c_void_p, c_void_p, c_void_p, c_void_p
        )
        self.verify = bind(
            "EVP_DigestVerify", c_int, c_void_p, c_char_p, c_size_t, c_char_p, c_size_t
        )
        self.d2i_x509 = bind("d2i_X509", c_void_p, c_void_p, POINTER(c_char_p), c_long)
        self.x509_free = bind("X509_free", None, c_void_p)
        self.x509_get_pubkey = bind("X509_get_pubkey", c_void_p, c_void_p)
        self.x509_verify = bind("X509_verify", c_int, c_void_p, c_void_p)
        self.d2i_crl = bind("d2i_X509_CRL", c_void_p, c_void_p, POINTER(c_char_p), c_long)
        self.crl_free = bind("X509_CRL_free", None, c_void_p)
        self.crl_verify = bind("X509_CRL_verify", c_int, c_void_p, c_void_p)
        self._load_engine()
        self.digests = {a.bits: self._digest(a) for a in (GOST_256, GOST_512)}

    def _bind(self, name: str, restype: Any, *argtypes: Any) -> Any:
        function = getattr(self._lib, name)
        function.restype = restype
        function.argtypes = list(argtypes)
        return function

    def _load_engine(self) -> None:
        engine = self.engine_by_id(b"gost")
        if not engine or self.engine_init(engine) != 1:
            self.err_clear()
            raise GostUnavailable(f"OpenSSL's GOST engine is not installed; {_INSTALL}")
        if self.engine_set_default(engine, _ENGINE_METHODS) != 1:
            self.err_clear()
            raise GostUnavailable("OpenSSL refused the GOST engine as the default for GOST keys")

    def _digest(self, algorithm: GostAlgorithm) -> int:
        md = self.digest_by_name(algorithm.openssl_digest.encode())
        if not md:
            raise GostUnavailable(f"the GOST engine has no {algorithm.openssl_digest}")
        return int(md)


_lock = threading.Lock()
_loaded: _LibCrypto | None = None


def _libcrypto() -> _LibCrypto:
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = _LibCrypto()
        return _loaded


def _read_der(reader: Any, der: bytes) -> int | None:
    # d2i_* advance the pointer they are given; the bytes stay alive in ``der`` meanwhile.
    cursor = c_char_p(der)
    handle = reader(None, byref(cursor), len(der))
    return int(handle) if handle else None


@dataclass(frozen=True, eq=False)
class _Key:
    """An EVP_PKEY handle, freed when the last reference goes."""

    handle: int
    algorithm: GostAlgorithm

    def __post_init__(self) -> None:
        weakref.finalize(self, _libcrypto().pkey_free, self.handle)

    @classmethod
    def owned(cls, handle: int) -> _Key:
        lib = _libcrypto()
        algorithm = _NID_KEY.get(lib.pkey_id(handle))
        if algorithm is None:
            lib.pkey_free(handle)
            raise ValueError("not a GOST R 34.10-2012 key")
        return cls(handle, algorithm)


class GostPrivateKey:
    """A GOST R 34.10-2012 private key loaded once; signs raw bytes."""

    def __init__(self, key: _Key) -> None:
        self._key = key

    @classmethod
    def from_pem(cls, pem: bytes) -> GostPrivateKey:
        """Load an unencrypted PKCS#8 PEM key as ``openssl genpkey -engine gost`` writes it.

        Raises:
            GostUnavailable: no GOST engine on this machine.
            ValueError: not a PEM GOST R 34.10-2012 private key.
        """
        lib = _libcrypto()
        bio = lib.bio_new_mem_buf(pem, len(pem))
        try:
            handle = lib.pem_read_private_key(bio, None, None, None)
        finally:
            lib.bio_free(bio)
        if not handle:
            lib.err_clear()
            raise ValueError("not a PEM private key OpenSSL can read")
        return cls(_Key.owned(int(handle)))

    @property
    def algorithm(self) -> GostAlgorithm:
        """The key size with its digest and URIs."""
        return self._key.algorithm

    @property
    def bits(self) -> GostBits:
        """256 or 512."""
        return self._key.algorithm.bits

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` (hashed with the key size's Streebog) and return s‖r, big-endian halves.

        That is the XML-DSig SignatureValue as is (RFC 4491 §2.2.2), as xmlsec and SMEV write it.

        Raises:
            RuntimeError: OpenSSL failed (should not happen with a loaded key).
        """
        lib = _libcrypto()
        size = c_size_t(self._key.algorithm.signature_bytes)
        signature = ctypes.create_string_buffer(size.value)
        context = lib.md_ctx_new()
        try:
            ok = (
                lib.sign_init(context, None, lib.digests[self.bits], None, self._key.handle) == 1
                and lib.sign(context, signature, byref(size), data, len(data)) == 1
            )
        finally:
            lib.md_ctx_free(context)
        if not ok:
            lib.err_clear()
            raise RuntimeError("OpenSSL could not sign with the GOST key")
        return signature.raw[: size.value]

    def matches(self, certificate: x509.Certificate) -> bool:
        """Whether ``certificate`` carries this key's public half."""
        try:
            public = GostPublicKey.from_certificate(certificate)
        except ValueError:
            return False
        return bool(_libcrypto().pkey_eq(self._key.handle, public._key.handle) == 1)


class GostPublicKey:
    """The GOST R 34.10-2012 public key of a certificate; verifies raw-byte signatures."""

    def __init__(self, key: _Key) -> None:
        self._key = key

    @classmethod
    def from_certificate(cls, certificate: x509.Certificate) -> GostPublicKey:
        """The certificate's public key.

        Raises:
            GostUnavailable: no GOST engine on this machine.
            ValueError: the certificate's key is not GOST R 34.10-2012, or OpenSSL cannot read it.
        """
        if gost_algorithm_of(certificate) is None:
            raise ValueError("the certificate's key is not GOST R 34.10-2012")
        lib = _libcrypto()
        x509_handle = _read_der(lib.d2i_x509, certificate.public_bytes(serialization.Encoding.DER))
        if x509_handle is None:
            lib.err_clear()
            raise ValueError("OpenSSL cannot read the certificate")
        try:
            handle = lib.x509_get_pubkey(x509_handle)
        finally:
            lib.x509_free(x509_handle)
        if not handle:
            lib.err_clear()
            raise ValueError("OpenSSL cannot read the certificate's GOST key")
        return cls(_Key.owned(int(handle)))

    @property
    def algorithm(self) -> GostAlgorithm:
        """The key size with its digest and URIs."""
        return self._key.algorithm

    def verify(self, data: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (s‖r, as ``GostPrivateKey.sign`` returns) signs ``data``."""
        lib = _libcrypto()
        if len(signature) != self._key.algorithm.signature_bytes:
            return False
        context = lib.md_ctx_new()
        try:
            ok = (
                lib.verify_init(
                    context, None, lib.digests[self._key.algorithm.bits], None, self._key.handle
                )
                == 1
                and lib.verify(context, signature, len(signature), data, len(data)) == 1
            )
        finally:
            lib.md_ctx_free(context)
        # A wrong signature leaves an error on the thread's queue, which Python's ssl module
        # (the same libcrypto) would otherwise find later.
        lib.err_clear()
        return bool(ok)


def gost_algorithm_of(certificate: x509.Certificate) -> GostAlgorithm | None:
    """The GOST algorithm of the certificate's public key; None when the key is not GOST.

    Reads only the SubjectPublicKeyInfo OID, so it needs no engine.
    """
    return by_key_oid(certificate.public_key_algorithm_oid.dotted_string)


def streebog(data: bytes, bits: GostBits) -> bytes:
    """GOST R 34.11-2012 (Streebog) of ``data``, 32 or 64 bytes as the standard's output."""
    lib = _libcrypto()
    out = ctypes.create_string_buffer(64)
    size = c_uint(0)
    if lib.digest(data, len(data), out, byref(size), lib.digests[bits], None) != 1:
        lib.err_clear()
        raise RuntimeError("OpenSSL could not compute Streebog")
    return out.raw[: size.value]


def certificate_signed_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether ``issuer``'s GOST key signed ``certificate`` (its signature only; no other check)."""
    return _signed_by(
        _libcrypto().d2i_x509,
        _libcrypto().x509_free,
        _libcrypto().x509_verify,
        certificate.public_bytes(serialization.Encoding.DER),
        issuer,
    )


def crl_signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    """Whether ``issuer``'s GOST key signed ``crl``."""
    return _signed_by(
        _libcrypto().d2i_crl,
        _libcrypto().crl_free,
        _libcrypto().crl_verify,
        crl.public_bytes(serialization.Encoding.DER),
        issuer,
    )


def _signed_by(reader: Any, free: Any, verify: Any, der: bytes, issuer: x509.Certificate) -> bool:
    try:
        key = GostPublicKey.from_certificate(issuer)
    except ValueError:
        return False
    lib = _libcrypto()
    handle = _read_der(reader, der)
    if handle is None:
        lib.err_clear()
        return False
    try:
        ok = verify(handle, key._key.handle) == 1
    finally:
        free(handle)
    lib.err_clear()
    return bool(ok)
