from pathlib import Path

import pytest

from signing import DevPki
from tests.unit.adapters.credentials import partner_credentials


@pytest.fixture(scope="session")
def dev_pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    pki = DevPki(tmp_path_factory.mktemp("pki"))
    pki.init()
    return pki


@pytest.fixture(scope="session")
def police_credentials(dev_pki: DevPki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("police-credentials")
    return partner_credentials(dev_pki, "police", "ОМВД России по Елизовскому району", target)
