"""The import rule: data flows one way, adapter → ingest → store/outbox → queue → delivery.

Every module of our packages is covered by one rule of ``LAYERS``, which names the parts of
our code it may import. ``python -m tooling.layering`` (``make lint``) reads each module's
imports with ``ast`` — at the top and inside functions alike — and prints one line per breach
with the file and line; a module that no rule covers is a breach too, so a new module or
package has to say where it sits before it lands. Exit status 1 when anything is found.

A key ``"pkg.*"`` covers the package ``pkg`` and everything under it; a key without ``.*``
covers that one module. The most specific key wins. An allowed name allows itself and
everything under it; a module may always import within what its own rule covers.
"""

import argparse
import ast
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LAYERS", "OUR_PACKAGES", "Breach", "check", "main"]

#: The top-level packages this rule governs (tests may import anything).
OUR_PACKAGES = ("schemas", "signing", "adapters", "hub", "queues", "tooling")

_BELOW_INGEST = ("schemas", "signing", "hub.store", "hub.config", "hub.errors")
_EVERYTHING_RUNTIME = ("adapters", "hub", "queues", "schemas", "signing")


def _simulator(code: str, *modules: str) -> tuple[str, ...]:
    """What the simulator of ``code`` may import: the shared plumbing, schemas and the named
    native modules of its own adapter."""
    return ("schemas", "adapters.simulation", *(f"adapters.{code}.{m}" for m in modules))


#: Rule key → the parts of our code it may import (besides what its own key covers).
LAYERS: Mapping[str, tuple[str, ...]] = {
    # The bottom: XML, the canonical model and signatures know nothing of the hub.
    "schemas.*": (),
    "signing.*": (),
    # Partner systems' adapters translate to the canonical model; never the hub or queues.
    "adapters.*": ("schemas", "signing"),
    # The simulated agency systems talk natively to their gateways: no signing, no hub client,
    # no bundle; each may use only its own adapter's native parts (tests/unit/adapters/
    # test_simulators_hold_no_keys.py checks what they load, too).
    "adapters.simulation": ("schemas",),
    "adapters.police.simulator": _simulator("police", "translate"),
    "adapters.social.simulator": _simulator("social", "translate"),
    "adapters.kdn.simulator": _simulator("kdn", "documents", "soap", "translate", "wsdl"),
    "adapters.health.simulator": _simulator("health", "contained", "fhir", "translate"),
    "adapters.education.simulator": _simulator(
        "education", "columns", "csvfile", "folders", "rows"
    ),
    "adapters.employment.simulator": _simulator("employment", "translate", "transport"),
    # The hub's foundations.
    "hub": (),
    "hub.config": (),
    "hub.errors": (),
    "hub.store.*": (),
    "hub.ratelimit": ("hub.errors",),
    "hub.recent": (),
    "hub.partners": ("hub.store", "hub.errors", "hub.recent"),
    "hub.operations": ("hub.store", "hub.errors"),
    "hub.replays": ("hub.store", "hub.errors", "hub.operations"),
    # Rules read at start, and the case tracker.
    "hub.routing.*": _BELOW_INGEST,
    "hub.regions.*": ("hub.routing",),
    "hub.cases.*": (*_BELOW_INGEST, "hub.regions"),
    # Ingest: checks, records and routes one message; it never imports queues (the wiring
    # passes ``on_committed``).
    "hub.ingest.*": (*_BELOW_INGEST, "hub.routing", "hub.regions", "hub.cases", "hub.recent"),
    "hub.people.*": ("hub.store", "hub.config", "hub.errors", "hub.cases", "hub.routing"),
    # Delivery: the broker carries outbox row ids to adapters' transports.
    "queues.*": ("hub.store", "hub.config", "adapters", "signing"),
    # Read-only views for operators: figures (with the broker's lane counts) and traces.
    "hub.observability.*": ("hub.store", "hub.config", "queues.lanes", "queues.depths"),
    "hub.archive.*": (*_BELOW_INGEST, "hub.routing", "hub.sealing"),
    "hub.admin.*": (*_BELOW_INGEST, "hub.ingest", "hub.observability", "hub.archive"),
    # Four eyes on unmasked evidence: the export, gated by two auditors' records.
    "hub.evidence_requests": (
        "hub.admin",
        "hub.archive",
        "hub.errors",
        "hub.operations",
        "hub.store",
    ),
    # The published contract: schemas, examples and limits as files, for the CLI and the API.
    "hub.contract.*": ("schemas", "hub.config", "hub.ingest"),
    # Processes: what ``hub serve`` and ``hub worker`` assemble.
    "hub.onboarding": (
        "adapters.registry",
        "hub.errors",
        "hub.operations",
        "hub.partners",
        "hub.store",
        "signing",
    ),
    "hub.jobs": (),
    # Sealed (encrypted) files for backups and archives: cryptography only.
    "hub.sealing": (),
    # Backups: the database, keys, bundles and rules, sealed.
    "hub.backup": ("hub.sealing", "hub.store"),
    "hub.escalation": (
        "hub.cases",
        "hub.errors",
        "hub.ingest",
        "hub.jobs",
        "hub.regions",
        "hub.routing",
        "hub.store",
        "signing",
    ),
    "hub.mail": ("hub.config",),
    # Alerts: rules read the store (and the PKI's files), incidents notify by e-mail or webhook.
    "hub.alerts.*": (
        "hub.config",
        "hub.jobs",
        "hub.mail",
        "hub.routing",
        "hub.store",
        "signing",
    ),
    "hub.checkpoints": ("hub.config", "hub.ingest", "hub.jobs"),
    "hub.digest": (
        "hub.jobs",
        "hub.mail",
        "hub.cases",
        "hub.config",
        "hub.people",
        "hub.regions",
        "hub.routing",
        "hub.store",
    ),
    "hub.runtime": (
        "adapters.registry",
        "hub.archive",
        "hub.config",
        "hub.ingest",
        "hub.partners",
        "hub.ratelimit",
        "hub.regions",
        "hub.routing",
        "hub.store",
        "queues",
    ),
    # HTTP: the JSON API and the pages share ``hub.access`` and never import each other.
    "hub.access.*": (
        "hub.runtime",
        "hub.people",
        "hub.cases",
        "hub.regions",
        "hub.partners",
        "hub.store",
        "hub.errors",
    ),
    "hub.api.*": (
        "hub.access",
        "hub.runtime",
        "hub.ingest",
        "hub.partners",
        "hub.people",
        "hub.cases",
        "hub.admin",
        "hub.archive",
        "hub.evidence_requests",
        "hub.operations",
        "hub.observability",
        "hub.contract",
        "hub.routing",
        "hub.store",
        "hub.config",
        "hub.errors",
    ),
    "hub.web.*": (
        "hub.access",
        "hub.runtime",
        "hub.admin",
        "hub.archive",
        "hub.operations",
        "hub.replays",
        "hub.evidence_requests",
        "hub.people",
        "hub.cases",
        "hub.regions",
        "hub.store",
        "hub.errors",
    ),
    "hub.app": ("hub.api", "hub.web", "hub.access", "hub.runtime", "hub.config"),
    # The command line wires everything the hub runs; of the tooling, only its commands,
    # and only on use (``hub.cli.app``), so ``hub serve`` and ``hub worker`` load none of it.
    "hub.cli.*": _EVERYTHING_RUNTIME,
    "hub.cli.app": (*_EVERYTHING_RUNTIME, "tooling.commands"),
    # Development tooling measures and attacks the hub from outside: it may use all of it.
    "tooling.*": _EVERYTHING_RUNTIME,
}


@dataclass(frozen=True)
class Breach:
    """One import the rule forbids, or a module no rule covers (``imported`` is then None)."""

    path: Path
    line: int
    module: str
    imported: str | None
    rule: str | None

    def describe(self, root: Path) -> str:
        where = f"{self.path.relative_to(root)}:{self.line}"
        if self.imported is None:
            return (
                f"{where}: no layering rule covers {self.module}; "
                "add one to LAYERS in tooling/layering.py"
            )
        assert self.rule is not None
        allowed = ", ".join(LAYERS[self.rule]) or "nothing of ours"
        return (
            f"{where}: {self.module} may not import {self.imported} "
            f"(rule {self.rule!r} allows: {allowed})"
        )


def check(root: Path) -> list[Breach]:
    """Every breach of ``LAYERS`` among the modules of ``OUR_PACKAGES`` under ``root``."""
    breaches: list[Breach] = []
    for path in _sources(root):
        module = _module_name(root, path)
        rule = _rule_for(module)
        if rule is None:
            breaches.append(Breach(path, 1, module, None, None))
            continue
        allowed = (_covered_prefix(rule), *LAYERS[rule])
        for line, imported in _our_imports(path, module):
            if not any(_is_within(imported, prefix) for prefix in allowed):
                breaches.append(Breach(path, line, module, imported, rule))
    return breaches


def _sources(root: Path) -> Iterator[Path]:
    for package in OUR_PACKAGES:
        yield from sorted((root / package).rglob("*.py"))


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _rule_for(module: str) -> str | None:
    matching = [key for key in LAYERS if _covers(key, module)]
    # "a.b" (one module) beats "a.*"; a deeper package beats a shallower one.
    return max(
        matching, key=lambda key: (len(_covered_prefix(key)), not key.endswith(".*")), default=None
    )


def _covers(key: str, module: str) -> bool:
    if key.endswith(".*"):
        return _is_within(module, _covered_prefix(key))
    return module == key


def _covered_prefix(key: str) -> str:
    return key.removesuffix(".*")


def _is_within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _our_imports(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """(line, name) of each import of our code, relative imports made absolute."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            # "from hub import cases" imports hub.cases; an attribute's name only narrows
            # the module it comes from, so the check is the same either way.
            source = _absolute(node, package)
            names = [source if a.name == "*" else f"{source}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] in OUR_PACKAGES:
                yield node.lineno, name


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if node.level == 0:
        return node.module or ""
    base = package.split(".")
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def main(argv: Sequence[str] | None = None) -> int:
    """Print each breach under ``--root`` (the repository by default); 1 if any."""
    parser = argparse.ArgumentParser(prog="python -m tooling.layering", description=__doc__)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    root: Path = parser.parse_args(argv).root.resolve()
    breaches = check(root)
    for breach in breaches:
        print(breach.describe(root), file=sys.stderr)
    if breaches:
        print(f"layering: {len(breaches)} breach(es) of tooling/layering.py", file=sys.stderr)
        return 1
    print(f"layering: {sum(1 for _ in _sources(root))} modules follow the import rule")
    return 0


if __name__ == "__main__":
    sys.exit(main())
