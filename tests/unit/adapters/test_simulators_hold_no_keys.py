"""The six simulated agency systems talk only to their gateways, natively: loading one loads
no signing code, no hub client and no gateway (which holds the agency's key), and no
simulator reads a bundle's key, certificate or API key.

``tooling/layering.py`` refuses such an import in the simulators' own source; this checks
what they load through every module they use, in a fresh interpreter each.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.registry import ADAPTERS

#: A fresh interpreter's import of one simulator takes well under a second; this is the bound.
IMPORT_TIMEOUT_S = 60
#: What only a partner holding its bundle (its gateway) may load.
FORBIDDEN = ("signing", "signxml", "adapters.hub_client", "adapters.gateway")
#: The files of a bundle (``hub partners add``), which no simulator may name.
BUNDLE_FILES = ("key.pem", "cert.pem", "api_key")
ROOT = Path(__file__).resolve().parents[3]

_MODULES = ["adapters.simulation", *(f"adapters.{code}.simulator" for code in sorted(ADAPTERS))]


def _forbidden_loaded_by(module: str) -> list[str]:
    probe = (
        f"import json, sys\nimport {module}\n"
        f"print(json.dumps(sorted(n for n in sys.modules if n.startswith({FORBIDDEN!r}))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=IMPORT_TIMEOUT_S,
        check=True,
        cwd=ROOT,
    )
    loaded: list[str] = json.loads(result.stdout)
    return loaded


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
