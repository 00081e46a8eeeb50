"""Importing one partner's adapter imports that partner only, not the other five.

``adapters/__init__.py`` exports the delivery contract; only ``adapters.registry`` imports
every partner. Each import runs in a fresh interpreter, since this one has loaded them all.
"""

import json
import subprocess
import sys

import pytest

from adapters.registry import ADAPTERS

#: A fresh interpreter's import of one partner takes well under a second; this is the bound.
IMPORT_TIMEOUT_S = 60

_PARTNERS = sorted(ADAPTERS)


def _partners_loaded_by(statement: str) -> list[str]:
    """The partner packages in ``sys.modules`` after ``statement`` ran in a fresh interpreter."""
    probe = (
        f"import json, sys\n{statement}\n"
        f"print(json.dumps(sorted(set({_PARTNERS!r}) & "
        "{name.split('.')[1] for name in sys.modules if name.startswith('adapters.')})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=IMPORT_TIMEOUT_S,
        check=True,
    )
    loaded: list[str] = json.loads(result.stdout)
    return loaded


@pytest.mark.parametrize("code", _PARTNERS)
def test_one_partner_imports_no_other(code: str) -> None:
    assert _partners_loaded_by(f"import adapters.{code}") == [code]


def test_the_delivery_contract_imports_no_partner() -> None:
    assert _partners_loaded_by("import adapters") == []


def test_the_registry_imports_every_partner() -> None:
    assert _partners_loaded_by("import adapters.registry") == _PARTNERS
