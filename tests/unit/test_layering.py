"""Imports follow STYLE.md's table: data flows one way, adapter → ingest → store → queue."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = ("hub", "adapters", "schemas", "signing", "queues", "tooling")

#: package prefix → prefixes of our code it may import (itself always allowed).
ALLOWED: dict[str, tuple[str, ...]] = {
    "schemas": (),
    "signing": (),
    "hub.store": (),
    "hub.config": (),
    "hub.errors": (),
    "adapters": ("schemas", "signing"),
    "hub.routing": ("schemas", "signing", "hub.store", "hub.config", "hub.errors"),
    "hub.cases": ("schemas", "signing", "hub.store", "hub.config", "hub.errors", "hub.regions"),
    "hub.ingest": (
        "schemas",
        "signing",
        "hub.store",
        "hub.config",
        "hub.errors",
        "hub.routing",
        "hub.cases",
        "hub.regions",
    ),
    "hub.partners": ("hub.store", "hub.errors"),
    "hub.people": ("hub.store", "hub.config", "hub.errors", "hub.cases", "hub.routing"),
    "hub.regions": ("hub.routing",),
    "queues": ("hub.store", "hub.config", "adapters", "signing"),
    # The lanes and the broker's count of them (shared with the sweeper) only.
    "hub.observability": ("hub.store", "hub.config", "queues.lanes", "queues.depths"),
}
#: Where the parts are wired together: may import anything.
WIRING = ("hub.api", "hub.web", "hub.cli", "tooling", "hub.runtime", "hub.onboarding", "hub")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _our_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name.split(".")[0] in OURS}


def _rule_for(module: str) -> tuple[str, tuple[str, ...]] | None:
    matches = [p for p in ALLOWED if module == p or module.startswith(p + ".")]
    if not matches:
        return None
    prefix = max(matches, key=len)
    return prefix, ALLOWED[prefix]


def _is_within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


SOURCES = sorted(p for pkg in OURS for p in (ROOT / pkg).rglob("*.py"))


def test_every_module_is_covered_by_a_rule_or_is_wiring() -> None:
    unruled = [
        _module_name(p)
        for p in SOURCES
        if _rule_for(_module_name(p)) is None
        and not any(_is_within(_module_name(p), w) for w in WIRING)
    ]
    assert unruled == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_layering_table(path: Path) -> None:
    module = _module_name(path)
    rule = _rule_for(module)
    if rule is None:
        return  # wiring modules may import anything
    own, allowed = rule
    forbidden = sorted(
        name
        for name in _our_imports(path)
        if not _is_within(name, own) and not any(_is_within(name, a) for a in allowed)
    )
    assert forbidden == [], f"{module} may not import {forbidden}"
