"""Builders of real, signed test messages from the contract's examples (schemas/examples)."""

import dataclasses
import uuid
from datetime import UTC, datetime

from lxml import etree

from schemas import build_envelope, example_bytes, parse_xml, payload_of, read_header
from signing import DevPki, XmlSigner


def make_envelope(
    message_type: str = "FamilyReferral",
    *,
    sender: str | None = None,
    message_id: str | None = None,
    created_at: datetime | None = None,
    correlation_id: str | None = None,
    case_ref: str | None = None,
    recipients: tuple[str, ...] = (),
    priority: str | None = None,
    version: str = "1.0",
    consent_ref: str | None = None,
) -> etree._Element:
    """An unsigned envelope from the example of ``message_type``, with a fresh MessageId.

    The example's explicit Recipients are dropped unless given, so routing rules decide;
    so is its ConsentRef, which the hub checks against the consents recorded on the case.
    """
    sample = parse_xml(example_bytes(message_type, version))
    header = read_header(sample)
    header = dataclasses.replace(
        header,
        message_id=message_id or str(uuid.uuid4()),
        sender=sender or header.sender,
        created_at=created_at or datetime.now(UTC),
        correlation_id=correlation_id,
        case_ref=case_ref,
        recipients=recipients,
        priority=priority or header.priority,
        consent_ref=consent_ref,
    )
    return build_envelope(header, payload_of(sample))


class Signers:
    """Signers per system code over one dev PKI; keys are loaded once."""

    def __init__(self, pki: DevPki) -> None:
        self.pki = pki
        self._signers: dict[str, XmlSigner] = {}

    def sign(self, envelope: etree._Element, code: str | None = None) -> bytes:
        """Sign with ``code``'s key (default: the envelope's Sender)."""
        signer_code = code or read_header(envelope).sender
        if signer_code not in self._signers:
            self._signers[signer_code] = XmlSigner(self.pki.signing_key(signer_code))
        return self._signers[signer_code].sign(envelope)
