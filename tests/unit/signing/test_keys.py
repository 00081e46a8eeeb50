"""Signing keys: loaded once from PEM, checked against their certificate."""

from __future__ import annotations

from pathlib import Path

import pytest

from signing import DevPki, SigningKey


def test_load_reads_key_and_certificate(pki: DevPki) -> None:
    key = SigningKey.load(pki.root / "systems/kdn/key.pem", pki.root / "systems/kdn/cert.pem")
    assert key.system_code == "kdn"


def test_key_not_matching_certificate_is_refused(pki: DevPki) -> None:
    with pytest.raises(ValueError, match="does not match"):
        SigningKey(
            private_key=pki.signing_key("police").private_key,
            certificate=pki.signing_key("kdn").certificate,
        )


def test_missing_files_raise_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        SigningKey.load(tmp_path / "key.pem", tmp_path / "cert.pem")
