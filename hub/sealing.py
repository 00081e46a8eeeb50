"""Sealed files: a stream encrypted with a passphrase or to a certificate's public key.

Backups and archives leave the hub's machine, so their bytes are sealed before they are
written. The format follows age's design (a random file key, wrapped once per way to open
it, and a STREAM of authenticated chunks), built only on ``cryptography``::

    header   MAGIC, mode byte, length-prefixed fields (mode-specific), payload salt
    payload  chunks of CHUNK_BYTES plaintext, each AES-256-GCM with its own nonce:
             an 11-byte big-endian counter and a final-chunk flag byte, and the SHA-256
             of the header as associated data

so reordering, dropping, truncating or appending chunks, or editing the header, makes
opening fail. Modes: a passphrase (scrypt → key that wraps the file key with AES-GCM),
an RSA certificate (RSA-OAEP with SHA-256) or an EC certificate (ephemeral ECDH, HKDF,
AES-GCM). GOST certificates are refused: ``cryptography`` has no GOST, and wrapping a key
to one needs the GOST key-agreement (VKO) and key-wrap schemes, which we do not hand-roll.

Errors::

    SealingError
    ├── NotSealed        not a sealed file, or a version or header we cannot read
    ├── WrongKey         the passphrase or private key does not open this file
    ├── SealTampered     altered, truncated or extended after it was sealed
    └── UnsupportedKey   a certificate or key that cannot seal or open (GOST, DSA…)
"""

import hashlib
import os
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final, TypeAlias

from cryptography import x509
from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

__all__ = [
    # Values
    "CHUNK_BYTES",
    "MIN_PASSPHRASE_CHARS",
    "Passphrase",
    "PrivateKey",
    # Sealing and opening
    "seal",
    "seal_file",
    "unseal",
    "unseal_file",
    # Errors
    "NotSealed",
    "SealTampered",
    "SealingError",
    "UnsupportedKey",
    "WrongKey",
]

#: Plaintext bytes per authenticated chunk (the last one may be shorter).
CHUNK_BYTES: Final = 64 * 1024
#: The shortest passphrase accepted, in characters.
MIN_PASSPHRASE_CHARS: Final = 10
#: scrypt cost as log2(N) (r=8, p=1): 17 is 128 MiB and about half a second.
DEFAULT_LOG2_COST: Final = 17
#: Costs a sealed file may name; the bounds keep a forged header from costing gigabytes.
_LOG2_COST_RANGE: Final = range(14, 21)

_MAGIC: Final = b"hub-sealed/1\n"
_MODE_PASSPHRASE: Final = b"P"
_MODE_RSA: Final = b"R"
_MODE_EC: Final = b"E"
_KEY_BYTES: Final = 32
_SALT_BYTES: Final = 16
_NONCE_BYTES: Final = 12
_TAG_BYTES: Final = 16
_MAX_FIELD_BYTES: Final = 1024
_LAST: Final = b"\x01"
_NOT_LAST: Final = b"\x00"

PrivateKey: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class SealingError(Exception):
    """A sealed file could not be made or opened; the message names the file's problem."""


class NotSealed(SealingError):
    """The bytes are not a sealed file of a version we read, or its header is malformed."""


class WrongKey(SealingError):
    """The passphrase or private key given does not open this file."""


class SealTampered(SealingError):
    """The file was altered, truncated or extended after it was sealed."""


class UnsupportedKey(SealingError, ValueError):
    """A certificate or key of a kind that cannot seal or open files (GOST, DSA…)."""


@dataclass(frozen=True)
class Passphrase:
    """A passphrase to seal or open with; never printed (``repr`` hides it).

    ``log2_cost`` is scrypt's cost; keep the default outside tests.

    Raises:
        ValueError: shorter than ``MIN_PASSPHRASE_CHARS`` or a cost out of range.
    """

    text: str = field(repr=False)
    log2_cost: int = DEFAULT_LOG2_COST

    def __post_init__(self) -> None:
        if len(self.text) < MIN_PASSPHRASE_CHARS:
            raise ValueError(f"a passphrase needs at least {MIN_PASSPHRASE_CHARS} characters")
        if self.log2_cost not in _LOG2_COST_RANGE:
            raise ValueError(f"scrypt cost 2^{self.log2_cost} is outside {_LOG2_COST_RANGE}")

    def derive(self, salt: bytes, log2_cost: int) -> bytes:
        kdf = Scrypt(salt=salt, length=_KEY_BYTES, n=2**log2_cost, r=8, p=1)
        return kdf.derive(self.text.encode("utf-8"))


def seal(source: BinaryIO, target: BinaryIO, to: Passphrase | x509.Certificate) -> None:
    """Write ``source`` (read to its end) to ``target`` sealed for ``to``.

    Memory stays at one chunk whatever the size of ``source``.

    Raises:
        UnsupportedKey: ``to`` is a certificate whose key is neither RSA nor EC.
    """
    file_key = os.urandom(_KEY_BYTES)
    header = _MAGIC + _wrap_file_key(file_key, to) + _field(os.urandom(_SALT_BYTES))
    target.write(header)
    aead = AESGCM(_payload_key(file_key, header))
    aad = hashlib.sha256(header).digest()
    for counter, (chunk, last) in enumerate(_chunks(source)):
        target.write(aead.encrypt(_chunk_nonce(counter, last), chunk, aad))


def unseal(source: BinaryIO, target: BinaryIO, key: Passphrase | PrivateKey) -> None:
    """Write the plaintext of the sealed ``source`` to ``target``.

    Chunks are written as each is verified, so on an error ``target`` holds a prefix that
    must be discarded; ``unseal_file`` does that for files.

    Raises:
        NotSealed: ``source`` is not a sealed file.
        WrongKey: ``key`` does not open it.
        SealTampered: it was altered, truncated or extended.
        UnsupportedKey: ``key`` is neither a passphrase, an RSA nor an EC key.
    """
    header, file_key = _read_header(source, key)
    aead = AESGCM(_payload_key(file_key, header))
    aad = hashlib.sha256(header).digest()
    sealed_chunk = CHUNK_BYTES + _TAG_BYTES
    counter = 0
    block = _read_exactly(source, sealed_chunk)
    while True:
        following = _read_exactly(source, sealed_chunk)
        last = not following
        if len(block) < _TAG_BYTES or (not last and len(block) < sealed_chunk):
            raise SealTampered("the sealed file is truncated")
        try:
            target.write(aead.decrypt(_chunk_nonce(counter, last), block, aad))
        except InvalidTag:
            raise SealTampered(f"chunk {counter} of the sealed file was altered or cut") from None
        if last:
            return
        block, counter = following, counter + 1


def seal_file(source: Path, target: Path, to: Passphrase | x509.Certificate) -> None:
    """Seal the file ``source`` into ``target`` (replaced only once it is complete)."""
    with source.open("rb") as plain, _replacing(target) as sealed:
        seal(plain, sealed, to)


def unseal_file(source: Path, target: Path, key: Passphrase | PrivateKey) -> None:
    """Open the sealed file ``source`` into ``target``; nothing is left there on an error.

    Raises:
        The errors of ``unseal``.
    """
    with source.open("rb") as sealed, _replacing(target) as plain:
        unseal(sealed, plain, key)


class _replacing:
    """A temporary file beside ``target`` that becomes ``target`` only on success."""

    def __init__(self, target: Path) -> None:
        self._target = target

    def __enter__(self) -> BinaryIO:
        fd, name = tempfile.mkstemp(dir=self._target.parent, prefix=f".{self._target.name}.")
        self._temporary = Path(name)
        self._file: BinaryIO = os.fdopen(fd, "wb")
        return self._file

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self._file.close()
        if kind is None:
            self._temporary.replace(self._target)
        else:
            self._temporary.unlink(missing_ok=True)


def _wrap_file_key(file_key: bytes, to: Passphrase | x509.Certificate) -> bytes:
    """The header's mode byte and fields that let ``to`` recover ``file_key``."""
    if isinstance(to, Passphrase):
        salt = os.urandom(_SALT_BYTES)
        params = _MODE_PASSPHRASE + bytes([to.log2_cost]) + _field(salt)
        wrapped = _aead_wrap(to.derive(salt, to.log2_cost), file_key, params)
        return params + _field(wrapped)
    public_key = _recipient_key(to)
    spki = _spki_digest(public_key)
    if isinstance(public_key, rsa.RSAPublicKey):
        return _MODE_RSA + _field(spki) + _field(public_key.encrypt(file_key, _oaep()))
    ephemeral = ec.generate_private_key(public_key.curve)
    shared = ephemeral.exchange(ec.ECDH(), public_key)
    ephemeral_point = _point(ephemeral.public_key())
    kek = _ec_kek(shared, ephemeral_point, public_key)
    prefix = _MODE_EC + _field(spki) + _field(ephemeral_point)
    return prefix + _field(_aead_wrap(kek, file_key, prefix))


def _read_header(source: BinaryIO, key: Passphrase | PrivateKey) -> tuple[bytes, bytes]:
    """The header's bytes and the file key ``key`` unwraps from it."""
    if _read_exactly(source, len(_MAGIC)) != _MAGIC:
        raise NotSealed("not a sealed file (or a version this hub cannot read)")
    mode = _read_exactly(source, 1)
    if mode == _MODE_PASSPHRASE:
        cost = _read_exactly(source, 1)
        salt = _read_field(source)
        params = _MAGIC + mode + cost + _field(salt)
        wrapped = _read_field(source)
        file_key = _open_with_passphrase(key, cost, salt, wrapped, params[len(_MAGIC) :])
        header = params + _field(wrapped)
    elif mode in (_MODE_RSA, _MODE_EC):
        fields = [_read_field(source) for _ in range(2 if mode == _MODE_RSA else 3)]
        file_key = _open_with_private_key(key, mode, fields)
        header = _MAGIC + mode + b"".join(_field(value) for value in fields)
    else:
        raise NotSealed("the sealed file names an unknown way to open it")
    payload_salt = _read_field(source)
    if len(payload_salt) != _SALT_BYTES:
        raise NotSealed("the sealed file's header is malformed")
    return header + _field(payload_salt), file_key


def _open_with_passphrase(
    key: Passphrase | PrivateKey, cost: bytes, salt: bytes, wrapped: bytes, params: bytes
) -> bytes:
    if not isinstance(key, Passphrase):
        raise WrongKey("the file is sealed with a passphrase, not to a key")
    if not cost or cost[0] not in _LOG2_COST_RANGE:
        raise NotSealed("the sealed file names an scrypt cost out of range")
    try:
        return AESGCM(key.derive(salt, cost[0])).decrypt(
            wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], params
        )
    except InvalidTag:
        raise WrongKey("wrong passphrase (or the file's header was altered)") from None


def _open_with_private_key(key: Passphrase | PrivateKey, mode: bytes, fields: list[bytes]) -> bytes:
    if isinstance(key, Passphrase):
        raise WrongKey("the file is sealed to a certificate's key, not with a passphrase")
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise UnsupportedKey("only RSA and EC private keys open sealed files")
    public_key = key.public_key()
    if fields[0] != _spki_digest(public_key):
        raise WrongKey("the file is sealed to another certificate's key")
    try:
        if isinstance(key, rsa.RSAPrivateKey):
            if mode != _MODE_RSA:
                raise WrongKey("the file is sealed to an EC key, not this RSA key")
            return key.decrypt(fields[1], _oaep())
        if mode != _MODE_EC or not isinstance(public_key, ec.EllipticCurvePublicKey):
            raise WrongKey("the file is sealed to an RSA key, not this EC key")
        ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(key.curve, fields[1])
        kek = _ec_kek(key.exchange(ec.ECDH(), ephemeral), fields[1], public_key)
        prefix = mode + _field(fields[0]) + _field(fields[1])
        return AESGCM(kek).decrypt(fields[2][:_NONCE_BYTES], fields[2][_NONCE_BYTES:], prefix)
    except (InvalidTag, ValueError):
        raise SealTampered("the sealed file's key header was altered") from None


def _recipient_key(certificate: x509.Certificate) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
    try:
        public_key = certificate.public_key()
    except (UnsupportedAlgorithm, ValueError):
        raise UnsupportedKey(
            "this certificate's key (GOST or another algorithm cryptography does not know) "
            "cannot seal files; seal with a passphrase or to an RSA or EC certificate"
        ) from None
    if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise UnsupportedKey("only RSA and EC certificates can seal files")
    return public_key


def _chunks(source: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    """Each chunk of ``source`` and whether it is the last (an empty source is one chunk)."""
    chunk = _read_exactly(source, CHUNK_BYTES)
    while True:
        following = _read_exactly(source, CHUNK_BYTES)
        yield chunk, not following
        if not following:
            return
        chunk = following


def _read_exactly(source: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes, fewer only at the end (pipes may return short reads)."""
    parts: list[bytes] = []
    wanted = size
    while wanted:
        part = source.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def _field(value: bytes) -> bytes:
    return struct.pack(">H", len(value)) + value


def _read_field(source: BinaryIO) -> bytes:
    length = _read_exactly(source, 2)
    if len(length) != 2:
        raise NotSealed("the sealed file's header is cut short")
    (size,) = struct.unpack(">H", length)
    value = _read_exactly(source, size)
    if size > _MAX_FIELD_BYTES or len(value) != size:
        raise NotSealed("the sealed file's header is malformed")
    return value


def _chunk_nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(_NONCE_BYTES - 1, "big") + (_LAST if last else _NOT_LAST)


def _payload_key(file_key: bytes, header: bytes) -> bytes:
    # The payload salt is the header's last field, so each file gets its own payload key.
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=_KEY_BYTES,
        salt=header[-_SALT_BYTES:],
        info=b"hub-sealed payload",
    )
    return hkdf.derive(file_key)


def _ec_kek(shared: bytes, ephemeral_point: bytes, recipient: ec.EllipticCurvePublicKey) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=_KEY_BYTES,
        salt=ephemeral_point + _point(recipient),
        info=b"hub-sealed ec key wrap",
    )
    return hkdf.derive(shared)


def _aead_wrap(kek: bytes, file_key: bytes, associated: bytes) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, file_key, associated)


def _oaep() -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def _point(public_key: ec.EllipticCurvePublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def _spki_digest(public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey) -> bytes:
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).digest()
