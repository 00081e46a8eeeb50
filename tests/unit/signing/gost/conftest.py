"""The GOST cross-checks need OpenSSL's GOST engine (``make test`` installs it)."""

from __future__ import annotations

import pytest

from signing.gost import GostUnavailable, streebog
from tests.conftest import require_service


@pytest.fixture(scope="session")
def gost_engine() -> None:
    """Skip locally, fail in CI, when the system OpenSSL has no GOST engine."""
    try:
        streebog(b"", 256)
    except GostUnavailable as exc:
        require_service("OpenSSL's GOST engine", exc)
