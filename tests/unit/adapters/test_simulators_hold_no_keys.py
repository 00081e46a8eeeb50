"""The six simulated agency systems talk only to their gateways, natively: loading one loads
no signing code, no hub client and no gateway (which holds the agency's key), and no
simulator reads a bundle's key, certificate or API key.

``tooling/layering.py`` refuses such an import in the simulators' own source; this checks
what they load through every module they use, in a fresh interpreter each.
"""

from pathlib import Path

import pytest

from adapters.registry import ADAPTERS
from tests.unit.adapters.fresh_imports import ROOT, modules_loaded_by

#: What only a partner holding its bundle (its gateway) may load.
FORBIDDEN = ("signing", "signxml", "adapters.hub_client", "adapters.gateway")
#: The files of a bundle (``hub partners add``), which no simulator may name.
BUNDLE_FILES = ("key.pem", "cert.pem", "api_key")

_MODULES = ["adapters.simulation", *(f"adapters.{code}.simulator" for code in sorted(ADAPTERS))]


def _forbidden_loaded_by(module: str) -> list[str]:
    return sorted(n for n in modules_loaded_by(f"import {module}") if n.startswith(FORBIDDEN))


@pytest.mark.parametrize("module", _MODULES)
def test_a_simulator_loads_no_signing_and_no_hub_client(module: str) -> None:
    assert _forbidden_loaded_by(module) == []


def test_the_probe_sees_what_a_gateway_loads() -> None:
    # The same probe on the gateway finds the signing code: the check above can fail.
    assert "signing" in _forbidden_loaded_by("adapters.gateway.process")


@pytest.mark.parametrize("module", _MODULES)
def test_a_simulator_names_no_bundle_file(module: str) -> None:
    source = (ROOT / Path(*module.split("."))).with_suffix(".py").read_text(encoding="utf-8")
    assert [name for name in BUNDLE_FILES if name in source] == []
