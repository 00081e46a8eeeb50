"""The bench's message mix: the demo's police signals, each with a fresh КУСП number.

Three shapes of ``FamilyReferral`` (one, two and three children, two regions, 3–5 KB
signed), routed by the rules to ``social`` and ``kdn``, each of which gets its own
minimised copy re-signed by the hub. Messages are signed before the clock starts:
signing is the partner's work, not the hub's.
"""

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from itertools import cycle, islice

from lxml import etree

from adapters.police import translate as police
from tooling.demo.families import police_records

__all__ = ["SENDER", "build_envelopes", "build_mix"]

#: Who sends every message of the mix.
SENDER = police.SENDER


def build_mix(
    count: int,
    *,
    sign: Callable[[etree._Element], bytes],
    urgent: bool = False,
    now: datetime | None = None,
) -> list[tuple[str, bytes]]:
    """``count`` signed messages as ``(MessageId, bytes)``, cycling through the three shapes.

    ``urgent`` sets every message's Priority (the demo's second signal is urgent itself).
    """
    return [
        (message_id, sign(envelope))
        for message_id, envelope in build_envelopes(count, urgent=urgent, now=now)
    ]


def build_envelopes(
    count: int, *, urgent: bool = False, now: datetime | None = None
) -> list[tuple[str, etree._Element]]:
    """``count`` unsigned envelopes of the mix as ``(MessageId, envelope)``."""
    moment = now or datetime.now(UTC)
    run = uuid.uuid4().hex[:8]
    templates = _templates(moment)
    envelopes = []
    for index, record in enumerate(islice(cycle(templates), count)):
        native = {
            **record,
            "kusp_number": f"КУСП-{run}-{index:07d}",
            "urgent": urgent,
        }
        message_id = str(uuid.uuid4())
        envelopes.append(
            (message_id, police.to_canonical(native, message_id=message_id, now=moment))
        )
    return envelopes


def _templates(now: datetime) -> Sequence[dict[str, object]]:
    return police_records("bench", now)
