"""Importing one partner's adapter imports that partner only, not the other five.

``adapters/__init__.py`` exports the delivery contract; only ``adapters.registry`` imports
every partner. Each import runs in a fresh interpreter, since this one has loaded them all.
"""

import pytest

from adapters.registry import ADAPTERS
from tests.unit.adapters.fresh_imports import modules_loaded_by

_PARTNERS = sorted(ADAPTERS)


def _partners_loaded_by(statement: str) -> list[str]:
    """The partner packages loaded after ``statement`` ran in a fresh interpreter."""
    loaded = {
        name.split(".")[1] for name in modules_loaded_by(statement) if name.startswith("adapters.")
    }
    return sorted(loaded & set(_PARTNERS))


@pytest.mark.parametrize("code", _PARTNERS)
def test_one_partner_imports_no_other(code: str) -> None:
    assert _partners_loaded_by(f"import adapters.{code}") == [code]


def test_the_delivery_contract_imports_no_partner() -> None:
    assert _partners_loaded_by("import adapters") == []


def test_the_registry_imports_every_partner() -> None:
    assert _partners_loaded_by("import adapters.registry") == _PARTNERS
