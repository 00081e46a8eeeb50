"""Sealed files: each way to seal opens only with its own secret, and any change is caught."""

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hub.sealing import (
    CHUNK_BYTES,
    NotSealed,
    Passphrase,
    PrivateKey,
    SealTampered,
    UnsupportedKey,
    WrongKey,
    seal,
    seal_file,
    unseal,
    unseal_file,
)
from signing import DevPki, GostUnavailable
from tests.conftest import require_service

#: The lowest scrypt cost the module accepts, so each derivation takes milliseconds.
CHEAP = 14
PASSPHRASE = Passphrase("correct horse battery staple", log2_cost=CHEAP)
#: Three full chunks and a part: the boundaries, the counter and the last flag all matter.
PLAINTEXT = os.urandom(3 * CHUNK_BYTES + 1234)


@pytest.fixture(scope="module")
def dev_pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    """Recipients of each kind: ``officer-rsa`` and ``officer-ec``."""
    pki = DevPki(tmp_path_factory.mktemp("pki"))
    pki.init("rsa")
    for algorithm in ("rsa", "ec"):
        pki.issue(f"officer-{algorithm}", "Отдел защиты информации", algorithm=algorithm)
    return pki


def _recipient(pki: DevPki, algorithm: str) -> tuple[PrivateKey, x509.Certificate]:
    loaded = pki.signing_key(f"officer-{algorithm}")
    assert isinstance(loaded.private_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    return loaded.private_key, loaded.certificate


def _sealed(plaintext: bytes, to: Passphrase | x509.Certificate) -> bytes:
    target = io.BytesIO()
    seal(io.BytesIO(plaintext), target, to)
    return target.getvalue()


def _opened(sealed: bytes, key: Passphrase | PrivateKey) -> bytes:
    target = io.BytesIO()
    unseal(io.BytesIO(sealed), target, key)
    return target.getvalue()


@pytest.mark.parametrize("size", [0, 1, CHUNK_BYTES, 2 * CHUNK_BYTES, len(PLAINTEXT)])
def test_a_passphrase_opens_what_it_sealed_whatever_the_size(size: int) -> None:
    sealed = _sealed(PLAINTEXT[:size], PASSPHRASE)

    assert PLAINTEXT[:1024] not in sealed
    assert _opened(sealed, PASSPHRASE) == PLAINTEXT[:size]


@pytest.mark.parametrize(("kind", "other"), [("rsa", "ec"), ("ec", "rsa")])
def test_a_certificate_seals_for_its_private_key_only(
    kind: str, other: str, dev_pki: DevPki
) -> None:
    key, certificate = _recipient(dev_pki, kind)
    sealed = _sealed(PLAINTEXT, certificate)

    assert _opened(sealed, key) == PLAINTEXT
    with pytest.raises(WrongKey, match="another certificate"):
        _opened(sealed, _recipient(dev_pki, other)[0])
    with pytest.raises(WrongKey, match="not with a passphrase"):
        _opened(sealed, PASSPHRASE)


def test_a_wrong_passphrase_is_named_as_such() -> None:
    sealed = _sealed(PLAINTEXT, PASSPHRASE)

    with pytest.raises(WrongKey, match="wrong passphrase"):
        _opened(sealed, Passphrase("incorrect horse battery staple", log2_cost=CHEAP))


def test_two_seals_of_the_same_bytes_differ() -> None:
    assert _sealed(b"same", PASSPHRASE) != _sealed(b"same", PASSPHRASE)


def _flip(sealed: bytes, offset: int) -> bytes:
    return sealed[:offset] + bytes([sealed[offset] ^ 1]) + sealed[offset + 1 :]


#: PLAINTEXT sealed: three full chunks and a short one, each with its 16-byte tag.
_FULL, _SHORT = CHUNK_BYTES + 16, 1234 + 16
_PAYLOAD = 3 * _FULL + _SHORT


def _swap_first_chunks(sealed: bytes) -> bytes:
    header, payload = sealed[:-_PAYLOAD], sealed[-_PAYLOAD:]
    return header + payload[_FULL : 2 * _FULL] + payload[:_FULL] + payload[2 * _FULL :]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda s: _flip(s, len(s) - 1), id="last-byte-flipped"),
        pytest.param(lambda s: _flip(s, len(s) - _SHORT - _FULL), id="middle-chunk-flipped"),
        pytest.param(lambda s: s[:-_SHORT], id="last-chunk-dropped"),
        pytest.param(lambda s: s[:-100], id="cut-mid-chunk"),
        pytest.param(lambda s: s + b"\0" * 17, id="bytes-appended"),
        pytest.param(lambda s: s + s[-_SHORT:], id="last-chunk-repeated"),
        pytest.param(_swap_first_chunks, id="chunks-swapped"),
        pytest.param(lambda s: _flip(s, len(s) - _PAYLOAD - 1), id="payload-salt-flipped"),
    ],
)
def test_any_change_to_a_sealed_file_is_caught(tamper: Callable[[bytes], bytes]) -> None:
    sealed = _sealed(PLAINTEXT, PASSPHRASE)

    with pytest.raises(SealTampered):
        _opened(tamper(sealed), PASSPHRASE)


def test_an_edited_passphrase_header_reads_as_a_wrong_passphrase() -> None:
    sealed = _sealed(PLAINTEXT, PASSPHRASE)
    salt_at = len(b"hub-sealed/1\n") + 1 + 1 + 2  # magic, mode, cost, the salt's length

    with pytest.raises(WrongKey):
        _opened(_flip(sealed, salt_at), PASSPHRASE)


def test_a_file_that_is_not_sealed_is_refused() -> None:
    with pytest.raises(NotSealed):
        _opened(b"SQLite format 3\0" + PLAINTEXT[:100], PASSPHRASE)
    sealed = _sealed(b"x", PASSPHRASE)
    cost_at = len(b"hub-sealed/1\n") + 1
    with pytest.raises(NotSealed, match="cost"):
        _opened(sealed[:cost_at] + bytes([40]) + sealed[cost_at + 1 :], PASSPHRASE)


def test_a_short_passphrase_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        Passphrase("short")
    assert "correct" not in repr(PASSPHRASE)


def test_opening_a_file_leaves_nothing_behind_on_an_error(tmp_path: Path) -> None:
    plain, sealed, opened = tmp_path / "db", tmp_path / "db.sealed", tmp_path / "opened"
    plain.write_bytes(PLAINTEXT)
    seal_file(plain, sealed, PASSPHRASE)
    sealed.write_bytes(sealed.read_bytes()[:-1])

    with pytest.raises(SealTampered):
        unseal_file(sealed, opened, PASSPHRASE)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["db", "db.sealed"]


def test_a_file_round_trips(tmp_path: Path) -> None:
    plain, sealed, opened = tmp_path / "db", tmp_path / "db.sealed", tmp_path / "opened"
    plain.write_bytes(PLAINTEXT)

    seal_file(plain, sealed, PASSPHRASE)
    unseal_file(sealed, opened, PASSPHRASE)

    assert opened.read_bytes() == PLAINTEXT


def test_a_gost_certificate_is_refused_with_a_reason(tmp_path: Path) -> None:
    pki = DevPki(tmp_path / "pki")
    try:
        pki.init("gost")
    except GostUnavailable as exc:
        require_service("OpenSSL's GOST engine", exc)
    certificate = x509.load_pem_x509_certificate(pki.ca_certificate_path.read_bytes())

    with pytest.raises(UnsupportedKey, match="GOST"):
        seal(io.BytesIO(b"x"), io.BytesIO(), certificate)
