"""Golden files of the adapters: native records and the canonical envelopes they map to.

Each case is ``tests/data/native/<code>/<name>.json`` (native) beside ``<name>.xml``
(canonical, unsigned). Comparisons run on C14N 2.0 with whitespace stripped,
so indentation in the files does not matter. ``python -m tests.unit.adapters.golden``
rewrites the canonical side from the current code, for review in the diff.
"""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from lxml import etree

from adapters.kdn import translate as kdn
from adapters.police import translate as police
from adapters.social import translate as social

NATIVE = Path(__file__).parents[2] / "data" / "native"
#: When the golden envelopes were "created": Petropavlovsk-Kamchatsky time (UTC+12).
NOW = datetime.fromisoformat("2026-03-15T10:05:00+12:00")
#: The fixed MessageId of golden replies (the police one is derived from the КУСП number).
REPLY_ID = "3b0a4c2e-8f51-4d7a-9c61-2f9e0d5b7a13"

#: Native → canonical cases: (code, name, translate module, message id).
TO_CANONICAL: list[tuple[str, str, Any, str]] = [
    ("police", "signal", police, police.message_id_for("КУСП-2026-004512")),
    ("social", "referral_registered", social, REPLY_ID),
    ("social", "action_status_changed", social, REPLY_ID),
    ("kdn", "registration", kdn, REPLY_ID),
]
#: Canonical → native cases: the police referral as each receiving system sees it.
FROM_CANONICAL: list[tuple[str, Any]] = [("social", social), ("kdn", kdn)]


def native(code: str, name: str) -> Any:
    return json.loads((NATIVE / code / f"{name}.json").read_text(encoding="utf-8"))


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


def _regenerate() -> None:
    for code, name, module, message_id in TO_CANONICAL:
        envelope = module.to_canonical(native(code, name), message_id=message_id, now=NOW)
        (NATIVE / code / f"{name}.xml").write_bytes(
            etree.tostring(envelope, pretty_print=True, xml_declaration=True, encoding="utf-8")
        )
    for code, module in FROM_CANONICAL:
        record = module.from_canonical(referral_envelope())
        (NATIVE / code / "referral_received.json").write_text(
            json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    _regenerate()
