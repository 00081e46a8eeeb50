"""Golden files of the adapters: native records and the canonical envelopes they map to.

Each case is ``tests/data/native/<code>/<name>.json`` (native) beside ``<name>.xml``
(canonical, unsigned). Comparisons run on C14N 2.0 with whitespace stripped,
so indentation in the files does not matter. ``python -m tests.unit.adapters.golden``
rewrites the canonical side from the current code, for review in the diff.
"""

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from lxml import etree

from adapters.employment import translate as employment
from adapters.kdn import documents as kdn_documents
from adapters.kdn import translate as kdn
from adapters.police import translate as police
from adapters.social import translate as social

NATIVE = Path(__file__).parents[2] / "data" / "native"
#: When the golden envelopes were "created": Petropavlovsk-Kamchatsky time (UTC+12).
NOW = datetime.fromisoformat("2026-03-15T10:05:00+12:00")
#: The fixed MessageId of golden replies (the police one is derived from the КУСП number).
REPLY_ID = "3b0a4c2e-8f51-4d7a-9c61-2f9e0d5b7a13"

#: Native → canonical cases: (code, name, translate module, message id).
TO_CANONICAL: list[tuple[str, str, ModuleType, str]] = [
    ("police", "signal", police, police.message_id_for("КУСП-2026-004512")),
    ("social", "referral_registered", social, REPLY_ID),
    ("social", "action_status_changed", social, REPLY_ID),
    ("kdn", "registration", kdn, REPLY_ID),
    *(
        ("social", name, social, REPLY_ID)
        for name in (
            "survey_completed",
            "consent_recorded",
            "case_decided",
            "plan_approved",
            "action_assigned",
            "information_requested",
            "case_closed",
        )
    ),
    *(
        ("employment", name, employment, REPLY_ID)
        for name in ("referral", "action_status", "periodic_report", "information_response")
    ),
]
#: Canonical → native cases: the police referral as each receiving system sees it.
FROM_CANONICAL: list[tuple[str, ModuleType]] = [("social", social), ("kdn", kdn)]
#: Lifecycle messages as their recipients see them: (recipient code, its golden record, the
#: sender's golden case, the recipient's translate module). The envelope is the sender's
#: golden ``.xml``; the record is ``tests/data/native/<recipient>/<name>.json``.
DELIVERED: list[tuple[str, str, tuple[str, str], ModuleType]] = [
    ("employment", "assigned_actions", ("social", "plan_approved"), employment),
    ("employment", "assigned_action", ("social", "action_assigned"), employment),
    ("employment", "information_request", ("social", "information_requested"), employment),
    ("employment", "closure_notice", ("social", "case_closed"), employment),
    ("kdn", "document_survey", ("social", "survey_completed"), kdn),
    ("kdn", "document_consent", ("social", "consent_recorded"), kdn),
    ("kdn", "document_plan", ("social", "plan_approved"), kdn),
    ("kdn", "document_closure", ("social", "case_closed"), kdn),
    ("kdn", "document_report", ("employment", "periodic_report"), kdn),
    ("police", "closure_notification", ("social", "case_closed"), police),
    ("police", "decision_notification", ("kdn", "decision"), police),
    ("police", "request_notification", ("social", "information_requested"), police),
    ("social", "report_submitted", ("employment", "periodic_report"), social),
    ("social", "information_provided", ("police", "answer"), social),
]
#: Native records translated by a partner's second entry point: (code, name, function).
OTHER_TO_CANONICAL: list[tuple[str, str, Callable[..., etree._Element]]] = [
    ("police", "answer", police.answer_to_canonical),
    ("kdn", "decision", kdn_documents.decision_to_canonical),
]


def native(code: str, name: str) -> dict[str, Any]:
    """The native record ``tests/data/native/<code>/<name>.json``: a JSON object."""
    record: dict[str, Any] = json.loads(
        (NATIVE / code / f"{name}.json").read_text(encoding="utf-8")
    )
    return record


def canonical_text(element_or_bytes: etree._Element | bytes) -> str:
    """C14N 2.0 with insignificant whitespace stripped."""
    element = (
        etree.fromstring(element_or_bytes)
        if isinstance(element_or_bytes, bytes)
        else element_or_bytes
    )
    return etree.canonicalize(etree.ElementTree(element), strip_text=True)


def referral_envelope() -> etree._Element:
    """The police signal's canonical envelope, read from its golden file."""
    return etree.fromstring((NATIVE / "police" / "signal.xml").read_bytes())


def envelope(code: str, name: str) -> etree._Element:
    """The golden canonical envelope ``tests/data/native/<code>/<name>.xml``."""
    return etree.fromstring((NATIVE / code / f"{name}.xml").read_bytes())


def set_text(root: etree._Element, path: str, text: str) -> None:
    """Set the text of the element at ``path`` below ``root``, which must be there."""
    element = root.find(path)
    assert element is not None, path
    element.text = text


def _write_json(path: Path, record: object) -> None:
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _regenerate() -> None:
    cases = [(c, n, m.to_canonical, i) for c, n, m, i in TO_CANONICAL]
    cases += [(c, n, f, REPLY_ID) for c, n, f in OTHER_TO_CANONICAL]
    for code, name, translate, message_id in cases:
        written = translate(native(code, name), message_id=message_id, now=NOW)
        (NATIVE / code / f"{name}.xml").write_bytes(
            etree.tostring(written, pretty_print=True, xml_declaration=True, encoding="utf-8")
        )
    for code, name, (source, source_name), module in DELIVERED:
        _write_json(
            NATIVE / code / f"{name}.json", module.from_canonical(envelope(source, source_name))
        )
    for code, module in FROM_CANONICAL:
        record = module.from_canonical(referral_envelope())
        (NATIVE / code / "referral_received.json").write_text(
            json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    _regenerate()
