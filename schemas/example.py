"""One valid example envelope per message type and version: part of the published contract.

The examples ship as package data (``schemas/examples/<Type>-<major>.<minor>.xml``), are
unsigned, and carry fixed ids and dates, so the tests and the docs can cite them. A copy meant
to be sent needs a new MessageId and a CreatedAt inside the hub's freshness window:
``fresh_example`` (or ``refresh_ids`` on any envelope) gives it both.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from importlib.resources import files

from lxml import etree

from schemas.envelope_tree import format_datetime
from schemas.namespaces import ENVELOPE_NS
from schemas.parser import parse_xml
from schemas.registry import schema_for

__all__ = ["example_bytes", "fresh_example", "refresh_ids"]

_NS = f"{{{ENVELOPE_NS}}}"


def example_bytes(message_type: str, version: str) -> bytes:
    """The shipped example of a known (type, version), byte for byte.

    Raises:
        UnknownMessageType, UnsupportedVersion: the hub has no XSD for it.
    """
    schema_for(message_type, version)  # the same errors as everywhere for an unknown pair
    return (files("schemas") / "examples" / f"{message_type}-{version}.xml").read_bytes()


def refresh_ids(
    raw: bytes, *, message_id: str | None = None, created_at: datetime | None = None
) -> bytes:
    """``raw`` (an unsigned envelope) with a new MessageId (uuid4) and CreatedAt (now, UTC).

    Everything else stays as it was. A signature, if any, no longer matches: sign afterwards.
    """
    envelope = parse_xml(raw)
    header = envelope.find(_NS + "Header")
    if header is None:
        raise ValueError("not an envelope: no Header")
    _set(header, "MessageId", message_id or str(uuid.uuid4()))
    _set(
        header, "CreatedAt", format_datetime(created_at or datetime.now(UTC).replace(microsecond=0))
    )
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def fresh_example(message_type: str, version: str) -> bytes:
    """The example of (type, version) with a new MessageId and CreatedAt: ready to sign."""
    return refresh_ids(example_bytes(message_type, version))


def _set(header: etree._Element, name: str, text: str) -> None:
    element = header.find(_NS + name)
    if element is None:
        raise ValueError(f"not an envelope: no Header/{name}")
    element.text = text
