"""Fixtures for the schemas tests: the contract's example messages (schemas/examples/)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from schemas import example_bytes


@pytest.fixture
def load_sample() -> Callable[[str, str], bytes]:
    """Return a loader: (message type, version) -> the sample envelope's bytes."""

    def load(message_type: str, version: str = "1.0") -> bytes:
        return example_bytes(message_type, version)

    return load


@pytest.fixture
def referral_raw(load_sample: Callable[[str, str], bytes]) -> bytes:
    """The ~6 KB FamilyReferral example: three children, Cyrillic text."""
    return load_sample("FamilyReferral", "1.0")
