"""The checks that need no database: size, safe parse, envelope XSD, signature, payload XSD.

Also the whole of ``hub verify``'s offline verdict. After the signature step only
the verifier's tree is read, never the input (no signature wrapping).
"""

from dataclasses import dataclass

from lxml import etree

from hub.errors import Rejection
from hub.ingest.record import RejectionFacts
from hub.ingest.rejections import rejection_from
from schemas import (
    EnvelopeHeader,
    ParseLimits,
    SchemaError,
    parse_xml,
    read_header,
    validate_envelope,
    validate_payload,
)
from signing import SignerIdentity, SigningError, Verifier


@dataclass(frozen=True)
class InspectedMessage:
    """A message that passed every check that needs no database: parsed, signed, valid."""

    header: EnvelopeHeader
    envelope: etree._Element  # the verified tree — the only one to read
    signer: SignerIdentity


class Inspector:
    """Runs the database-free checks in order. Built once; safe to share between threads."""

    def __init__(self, verifier: Verifier, limits: ParseLimits) -> None:
        self._verifier = verifier
        self._limits = limits

    def inspect(
        self, raw: bytes, facts: RejectionFacts | None = None, *, signed_by: str | None = None
    ) -> InspectedMessage:
        """Run the checks that need no database (also ``hub verify``'s offline verdict).

        ``signed_by``: the system that must have signed it; by default its Sender (what a
        partner posts), ``hub`` for the copies the hub delivers.

        Raises:
            Rejection: xml.*, envelope.*, signature.*, schema.*, payload.*.
        """
        try:
            # parse_xml checks the size before libxml2 sees a byte.
            claimed = parse_xml(raw, self._limits)
            validate_envelope(claimed)
            claimed_header = read_header(claimed)
            if facts is not None:
                facts.claimed_sender = claimed_header.sender
                facts.claimed_message_id = claimed_header.message_id
            signer = signed_by or claimed_header.sender
            verified = self._verifier.verify(claimed, expected_sender=signer)
            envelope = verified.signed_xml
            header = read_header(envelope)
            validate_payload(envelope, header)
        except (SchemaError, SigningError) as error:
            raise rejection_from(error) from error
        if (signed_by or header.sender) != verified.signer.system_code:
            # Belt and braces: the verified tree itself must name the signer as Sender.
            raise Rejection(
                "signature.signer_not_sender",
                f"signed by {verified.signer.system_code}, Sender is {header.sender}",
            )
        return InspectedMessage(header=header, envelope=envelope, signer=verified.signer)
