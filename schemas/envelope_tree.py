"""Building and reading the envelope tree: header values in, header values out.

The envelope's XSD lives in ``schemas/envelope/``; this module is named ``envelope_tree`` so
that the Python module and that data folder do not share the import name
``schemas.envelope``. ``read_header`` and ``payload_of`` trust the shape the envelope XSD
guarantees: call ``validate_envelope`` first.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from schemas.errors import EnvelopeInvalid
from schemas.namespaces import ENVELOPE_NS
from schemas.whitespace import collapse

__all__ = ["EnvelopeHeader", "build_envelope", "format_datetime", "payload_of", "read_header"]

_NS = f"{{{ENVELOPE_NS}}}"


@dataclass(frozen=True, slots=True)
class EnvelopeHeader:
    """The envelope's header values; text fields typed xs:token are whitespace-collapsed."""

    #: Lower-case UUID, unique across every sender: the hub refuses an id already used.
    message_id: str
    #: Payload type, e.g. ``FamilyReferral``.
    message_type: str
    #: ``<major>.<minor>``, e.g. ``1.0``.
    schema_version: str
    #: Sender's partner system code, e.g. ``police``.
    sender: str
    sender_organisation: str
    #: Explicit recipients' system codes; empty means "by routing rules".
    recipients: tuple[str, ...]
    #: Timezone-aware, with the sender's UTC offset.
    created_at: datetime
    #: ``urgent`` or ``routine``.
    priority: str
    case_ref: str | None
    #: MessageId of the message this one answers or continues.
    correlation_id: str | None
    #: Law and article that allow the exchange, e.g. ``Федеральный закон № 120-ФЗ, ст. 9``.
    law: str
    consent_ref: str | None


def build_envelope(header: EnvelopeHeader, payload: etree._Element) -> etree._Element:
    """Return a new unsigned Envelope with ``header`` and a deep copy of ``payload`` in Body.

    The result is not validated; ``validate_envelope`` says whether the values fit the XSD.

    Raises:
        ValueError: ``header.created_at`` is naive or its UTC offset is not whole minutes.
    """
    # lxml-stubs types nsmap keys as str; None (the default namespace) is what lxml expects.
    envelope = etree.Element(_NS + "Envelope", nsmap={None: ENVELOPE_NS})  # type: ignore[dict-item]
    head = etree.SubElement(envelope, _NS + "Header")
    _add(head, "MessageId", header.message_id)
    _add(head, "MessageType", header.message_type)
    _add(head, "SchemaVersion", header.schema_version)
    sender = etree.SubElement(head, _NS + "Sender")
    _add(sender, "System", header.sender)
    _add(sender, "Organisation", header.sender_organisation)
    if header.recipients:
        recipients = etree.SubElement(head, _NS + "Recipients")
        for recipient in header.recipients:
            _add(recipients, "Recipient", recipient)
    _add(head, "CreatedAt", format_datetime(header.created_at))
    _add(head, "Priority", header.priority)
    if header.case_ref is not None:
        _add(head, "CaseRef", header.case_ref)
    if header.correlation_id is not None:
        _add(head, "CorrelationId", header.correlation_id)
    legal_basis = etree.SubElement(head, _NS + "LegalBasis")
    _add(legal_basis, "Law", header.law)
    if header.consent_ref is not None:
        _add(legal_basis, "ConsentRef", header.consent_ref)
    body = etree.SubElement(envelope, _NS + "Body")
    content = copy.deepcopy(payload)
    # deepcopy also copies the text that followed the payload in its old parent.
    content.tail = None
    body.append(content)
    return envelope


def _add(parent: etree._Element, name: str, text: str) -> None:
    etree.SubElement(parent, _NS + name).text = text


def format_datetime(value: datetime) -> str:
    """``value`` as the envelope writes an xs:dateTime: ISO 8601 with its UTC offset."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("created_at must be timezone-aware")
    if offset.total_seconds() % 60:
        raise ValueError("created_at's UTC offset must be whole minutes")
    return value.isoformat()


def read_header(envelope: etree._Element) -> EnvelopeHeader:
    """Return the header values of an envelope that passed ``validate_envelope``."""
    # The XSD fixes Header as the first child and each field's place within it.
    fields = {child.tag: child for child in envelope[0]}
    sender = fields[_NS + "Sender"]
    legal_basis = fields[_NS + "LegalBasis"]
    recipients = fields.get(_NS + "Recipients")
    return EnvelopeHeader(
        message_id=_text(fields[_NS + "MessageId"]),
        message_type=_text(fields[_NS + "MessageType"]),
        schema_version=_text(fields[_NS + "SchemaVersion"]),
        sender=_text(sender[0]),
        sender_organisation=_token(sender[1]),
        recipients=() if recipients is None else tuple(_text(r) for r in recipients),
        created_at=datetime.fromisoformat(_text(fields[_NS + "CreatedAt"])),
        priority=_text(fields[_NS + "Priority"]),
        case_ref=_optional(fields.get(_NS + "CaseRef")),
        correlation_id=_optional(fields.get(_NS + "CorrelationId")),
        law=_token(legal_basis[0]),
        consent_ref=None if len(legal_basis) < 2 else _token(legal_basis[1]),
    )


def _text(element: etree._Element) -> str:
    return element.text or ""


def _token(element: etree._Element) -> str:
    # The XSD compared the collapsed value (xs:token); return that same value.
    return collapse(_text(element))


def _optional(element: etree._Element | None) -> str | None:
    return None if element is None else _text(element)


def payload_of(envelope: etree._Element) -> etree._Element:
    """Return the one payload element inside the envelope's Body.

    Raises:
        EnvelopeInvalid: there is no Body, or no element in it (the XSD refuses both).
    """
    body = envelope.find(_NS + "Body")
    payload = None if body is None else next(body.iterchildren(etree.Element), None)
    if payload is None:
        raise EnvelopeInvalid("Body holds no payload element", "/Envelope/Body", None)
    return payload
