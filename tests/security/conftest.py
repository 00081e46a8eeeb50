"""The hostile suite runs on SQLite only (fast); the refusals happen before any SQL dialect matters.

Every case runs against a hub of each crypto a region may choose (``REGIONS``): the whole PKI
(CA, hub, partners) is RSA or GOST, and the hub accepts only that family. The trust store looks
at its CRL on every message, so a revocation made by a case takes effect at once.
"""

from pathlib import Path

import pytest

from hub.config import Settings
from signing import Crypto, DevPki
from tests.conftest import make_partners_pki
from tests.databases import SqliteTemplate
from tests.factories import Signers

#: Each crypto a region may run its PKI with, and the ``HUB_SIGNATURE_PROVIDERS`` of its hub.
REGIONS: dict[Crypto, str] = {"rsa": "rsa", "gost": "gost256"}


@pytest.fixture(scope="session", params=sorted(REGIONS))
def session_pki(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    """The run's PKI of each region crypto in turn, with the hub and every partner."""
    crypto: Crypto = request.param
    return make_partners_pki(tmp_path_factory.mktemp(f"{crypto}-pki"), crypto)


@pytest.fixture(scope="session")
def signers(session_pki: DevPki) -> Signers:
    """This package's own, following its ``session_pki``: the root conftest's, once cached by
    an earlier test of the run, would go on signing with the root's RSA PKI."""
    return Signers(session_pki)


@pytest.fixture
def database_url(data_dir: Path, sqlite_template: SqliteTemplate) -> str:
    return sqlite_template.copy_to(data_dir / "hub.db")


@pytest.fixture
def settings(data_dir: Path, database_url: str, pki: DevPki) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        crl_recheck_s=0,
        signature_providers=REGIONS[pki.crypto],
    )
