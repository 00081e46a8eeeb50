"""The dev PKI: layout, permissions, idempotent init, re-issue and revocation."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509

from signing import HUB_SYSTEM_CODE, DevPki


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_creates_the_layout_with_private_keys_0600(tmp_path: Path) -> None:
    pki = DevPki(tmp_path / "pki")
    assert not pki.exists
    pki.init()
    assert pki.exists
    root = tmp_path / "pki"
    for name in [
        "ca/ca.pem",
        "ca/ca.key",
        "crl.pem",
        "systems/hub/cert.pem",
        "systems/hub/key.pem",
    ]:
        assert (root / name).is_file(), name
    assert _mode(root / "ca/ca.key") == 0o600
    assert _mode(root / "systems/hub/key.pem") == 0o600
    assert pki.signing_key(HUB_SYSTEM_CODE).system_code == HUB_SYSTEM_CODE


def test_init_is_idempotent_and_never_overwrites_keys(tmp_path: Path) -> None:
    pki = DevPki(tmp_path)
    pki.init()
    before = {name: (tmp_path / name).read_bytes() for name in ["ca/ca.key", "systems/hub/key.pem"]}
    pki.init()
    assert {name: (tmp_path / name).read_bytes() for name in before} == before


def test_issue_binds_code_and_organisation(pki: DevPki) -> None:
    credentials = pki.issue("education", "Управление образования", algorithm="ec")
    assert _mode(credentials.key_path) == 0o600
    key = pki.signing_key("education")
    assert key.system_code == "education"
    usage = key.certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert usage.content_commitment
    pki.trust_store().check(key.certificate, now=key.certificate.not_valid_before_utc)


def test_reissue_replaces_key_and_certificate(pki: DevPki) -> None:
    pki.issue("health", "Минздрав")
    first = pki.signing_key("health").certificate.serial_number
    pki.issue("health", "Минздрав")
    assert pki.signing_key("health").certificate.serial_number != first


@pytest.mark.parametrize("code", ["../etc", "Police", "x", "1abc", "a" * 33, "a/b"])
def test_malformed_system_code_is_refused(pki: DevPki, code: str) -> None:
    with pytest.raises(ValueError, match="system code"):
        pki.issue(code, "Тест")


def test_issue_before_init_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"init\(\)"):
        DevPki(tmp_path).issue("police", "ОМВД")


def test_revoke_is_idempotent_and_numbers_crls(pki: DevPki) -> None:
    pki.issue("employment", "Центр занятости")
    serial = pki.signing_key("employment").certificate.serial_number
    pki.revoke("employment")
    pki.revoke("employment")
    crl = x509.load_pem_x509_crl((pki.root / "crl.pem").read_bytes())
    assert [entry.serial_number for entry in crl].count(serial) == 1
    numbers = crl.extensions.get_extension_for_class(x509.CRLNumber).value
    assert numbers.crl_number >= 3
