"""Fixtures for the schemas tests: the sample messages shipped in tests/data/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture
def load_sample() -> Callable[[str, str], bytes]:
    """Return a loader: (message type, version) -> the sample envelope's bytes."""

    def load(message_type: str, version: str = "1.0") -> bytes:
        return (DATA_DIR / f"{message_type}-{version}.xml").read_bytes()

    return load


@pytest.fixture
def referral_raw(load_sample: Callable[[str, str], bytes]) -> bytes:
    """The ~6 KB FamilyReferral sample: three children, Cyrillic text."""
    return load_sample("FamilyReferral", "1.0")
