"""Golden cases of the health adapter: FHIR resources and the canonical envelopes they map to.

Inbound: ``tests/data/native/health/<name>.json`` (what a health system sends) beside
``<name>.xml`` (its canonical envelope, unsigned). Outbound: the catalogue samples
``schemas/examples/<Type>-1.0.xml`` and the FHIR JSON the health system receives for each,
``tests/data/native/health/<name>.json``. ``python -m tests.unit.adapters.health.cases``
rewrites the generated side from the current code, for review in the diff.
"""

import json
from pathlib import Path
from typing import Any

from lxml import etree

from adapters.health import translate
from adapters.health.fhir import EXT_ENVELOPE
from schemas import example_bytes
from tests.unit.adapters import golden

NATIVE = Path(__file__).parents[3] / "data" / "native" / "health"
NOW = golden.NOW
REPLY_ID = golden.REPLY_ID

#: Native → canonical cases: (name, MessageId).
INBOUND: list[tuple[str, str]] = [
    ("referral", translate.message_id_for("ПЦ-2026/00318")),
    ("action_status", REPLY_ID),
    ("action_overdue", REPLY_ID),
    ("information_response", REPLY_ID),
]
#: Canonical → native cases: (catalogue sample, native name).
OUTBOUND: list[tuple[str, str]] = [
    ("FamilyReferral-1.0", "referral_received"),
    ("ActionAssignment-1.0", "action_assignment"),
    ("SupportPlan-1.0", "support_plan"),
    ("ActionStatusUpdate-1.0", "action_status_received"),
    ("InformationRequest-1.0", "information_request"),
    ("InformationResponse-1.0", "information_response_received"),
    ("CaseDecision-1.0", "case_decision"),
    ("CaseClosure-1.0", "case_closure"),
    ("ReferralReceipt-1.0", "referral_receipt"),
    ("DeliveryReceipt-1.0", "delivery_receipt"),
]


def native(name: str) -> dict[str, Any]:
    """The FHIR resource ``tests/data/native/health/<name>.json``: a JSON object."""
    resource: dict[str, Any] = json.loads((NATIVE / f"{name}.json").read_text(encoding="utf-8"))
    return resource


def sample(name: str) -> etree._Element:
    """A catalogue example envelope, by ``<Type>-<version>`` (``schemas/examples/``)."""
    message_type, version = name.split("-")
    return etree.fromstring(example_bytes(message_type, version))


def split_envelope(resource: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The resource without its ``…:envelope`` extension, and that extension's facts."""
    rest = dict(resource)
    extensions = [e for e in rest.pop("extension", []) if e["url"] != EXT_ENVELOPE]
    facts = {
        part["url"]: part.get("valueString", part.get("valueDateTime"))
        for e in resource.get("extension", [])
        if e["url"] == EXT_ENVELOPE
        for part in e["extension"]
    }
    if extensions:
        rest["extension"] = extensions
    return rest, facts


def _regenerate() -> None:
    for name, message_id in INBOUND:
        envelope = translate.to_canonical(native(name), message_id=message_id, now=NOW)
        (NATIVE / f"{name}.xml").write_bytes(
            etree.tostring(envelope, pretty_print=True, xml_declaration=True, encoding="utf-8")
        )
    for sample_name, name in OUTBOUND:
        resource = translate.from_canonical(sample(sample_name))
        (NATIVE / f"{name}.json").write_text(
            json.dumps(resource, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    _regenerate()
