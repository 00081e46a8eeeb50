"""The contract's files: name (a relative path), bytes and media type.

The texts for partners (Russian) live in ``docs/partners/`` and reach the package through
the ``partners`` link beside this module, so the repository's docs and the published
contract are one file each.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from hub.config import Settings
from hub.ingest import parse_limits
from hub.ingest.factory import signature_providers, verify_policy
from schemas import fresh_example, known_schemas

__all__ = [
    "ContractFile",
    "contract_files",
    "example_files",
    "fixed_files",
    "signature_algorithms",
]

_JSON = "application/json"
_XML = "application/xml"
_MARKDOWN = "text/markdown; charset=utf-8"

#: The commission's SOAP interface imports its types from the simulator's ``?xsd=signal``
#: address; in the contract the XSD sits beside the WSDL.
_KDN_XSD_IMPORT = (b'schemaLocation="soap?xsd=signal"', b'schemaLocation="signal.xsd"')


@dataclass(frozen=True, slots=True)
class ContractFile:
    #: Path inside the contract folder, ``/``-separated, e.g. ``examples/SurveyAct-1.0.xml``.
    name: str
    content: bytes
    media_type: str


def contract_files(settings: Settings, openapi: Mapping[str, Any]) -> list[ContractFile]:
    """Every file of the contract, the folder's README first.

    ``openapi`` is the application's document (``app.openapi()``); ``settings`` give the
    limits the hub enforces. Examples get a fresh MessageId and CreatedAt on each call.
    """
    return [*fixed_files(settings, openapi), *example_files()]


def fixed_files(settings: Settings, openapi: Mapping[str, Any]) -> list[ContractFile]:
    """The contract's files but the examples: the same for as long as the hub's code and
    settings are, so a running hub may build them once."""
    return [
        _doc("partners/contract.md", name="README.md"),
        ContractFile("openapi.json", _json(openapi), _JSON),
        ContractFile("limits.json", _json(limits(settings)), _JSON),
        ContractFile("signature.json", _json(signature_algorithms(settings)), _JSON),
        _doc("partners/signature-profile.md"),
        _doc("partners/codes.md"),
        _doc("partners/consent.md"),
        *_xsds(),
        *_kdn_interface(),
    ]


def example_files() -> list[ContractFile]:
    """An example message of each known type and version, each with a fresh MessageId and
    CreatedAt."""
    return [
        ContractFile(
            f"examples/{message_type}-{version}.xml", fresh_example(message_type, version), _XML
        )
        for message_type, version in known_schemas()
    ]


def limits(settings: Settings) -> dict[str, int]:
    """The bounds a message and a partner must keep, from the hub's own settings and parser."""
    parsing = parse_limits(settings)
    return {
        "max_message_bytes": parsing.max_bytes,
        "max_depth": parsing.max_depth,
        "max_elements": parsing.max_elements,
        "max_attributes_per_element": parsing.max_attributes_per_element,
        "max_message_age_s": settings.max_message_age_s,
        "max_future_skew_s": settings.max_future_skew_s,
        "partner_rate_per_s": settings.partner_rate_per_s,
        "inbox_visibility_s": settings.inbox_visibility_s,
    }


def signature_algorithms(settings: Settings) -> dict[str, list[str]]:
    """What this hub accepts in a signature (``HUB_SIGNATURE_PROVIDERS``): the provider
    families and exactly their SignatureMethod and DigestMethod URIs."""
    policy = verify_policy(settings)
    return {
        "providers": sorted(signature_providers(settings)),
        "signature_methods": sorted(policy.signature_methods),
        "digest_methods": sorted(policy.digest_methods),
    }


def _json(value: Mapping[str, Any]) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def _doc(source: str, *, name: str | None = None) -> ContractFile:
    """A partners' text, ``source`` relative to this package, under its own name or ``name``."""
    text = files("hub.contract").joinpath(source).read_bytes()
    return ContractFile(name or source.rpartition("/")[2], text, _MARKDOWN)


def _xsds() -> Iterator[ContractFile]:
    # The schemas package's own layout, so the XSDs' relative imports (../common/…) resolve.
    root = files("schemas")
    for folder in sorted(root.iterdir(), key=lambda f: f.name):
        if not folder.is_dir():
            continue
        for xsd in sorted(folder.iterdir(), key=lambda f: f.name):
            if xsd.name.endswith(".xsd"):
                yield ContractFile(f"schemas/{folder.name}/{xsd.name}", xsd.read_bytes(), _XML)


def _kdn_interface() -> Iterator[ContractFile]:
    kdn = files("adapters.kdn")
    wsdl = (kdn / "service.wsdl").read_bytes().replace(*_KDN_XSD_IMPORT)
    yield ContractFile("kdn/service.wsdl", wsdl, _XML)
    yield ContractFile("kdn/signal.xsd", (kdn / "signal.xsd").read_bytes(), _XML)
