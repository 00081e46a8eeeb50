"""One native input on its way in: translated → signed → checked as the hub will → spooled → sent.

The native apps call ``Intake.submit`` with the translation to run; whatever happens comes
back as an ``Outcome`` (the spool entry: taken, refused by the hub, or waiting) or as an
``InputRefused`` that names the hub's code and the field, so each app answers in its own
format and the gateway never accepts what the hub would refuse on its schemas.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

import schemas
from adapters.gateway.sender import Sender
from adapters.gateway.spool import Spool, SpoolEntry
from adapters.hub_client import HubClient
from schemas import TranslationError

__all__ = ["INVALID_PAYLOAD", "InputRefused", "Intake", "Translate", "idempotent_message_id"]

#: The hub's code for a message whose content does not map or validate.
INVALID_PAYLOAD = "payload.invalid"
#: The hub's codes for the schema errors (``SchemaError.reason``) a translation may produce.
_SCHEMA_CODES = {
    "envelope_invalid": "envelope.invalid",
    "payload_invalid": INVALID_PAYLOAD,
    "unknown_type": "schema.unknown_type",
    "unsupported_version": "schema.unsupported_version",
}
#: Namespace of MessageIds derived from the partner system's own idempotency keys.
_KEY_NAMESPACE = uuid.UUID("8d3f0f5e-2b7c-4e61-9a0e-6c1f4b2d9e57")

#: Builds the unsigned canonical envelope for a MessageId and a creation time.
Translate = Callable[[str, datetime], etree._Element]


class InputRefused(Exception):
    """The native input cannot become a message the hub takes: ``code`` (the hub's), ``field``
    (the native or canonical path) and ``reason``; nothing was spooled."""

    def __init__(self, code: str, field: str, reason: str) -> None:
        super().__init__(f"{code}: {field}: {reason}")
        self.code = code
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Outcome:
    """What became of a submitted input: its spool entry, and whether it was new."""

    entry: SpoolEntry
    new: bool


def idempotent_message_id(code: str, key: str | None) -> str:
    """The MessageId of an input: derived from the partner system's key (so a resent record
    is the same message), or a fresh one when the system gives none."""
    if key is None or not key.strip():
        return str(uuid.uuid4())
    return str(uuid.uuid5(_KEY_NAMESPACE, f"{code}:{key.strip()}"))


class Intake:
    """Turns native input into spooled, signed messages and tries to send each at once."""

    def __init__(self, spool: Spool, sender: Sender, hub: HubClient) -> None:
        self.code = hub.system_code
        #: The spool and the hub client, for native sides that also take from the hub.
        self.spool = spool
        self.hub = hub
        self._sender = sender

    def submit(self, message_id: str, translate: Translate) -> Outcome:
        """Translate, sign, check, spool (committed) and try to send one message.

        Raises:
            InputRefused: the translation or the schemas refused the input.
            SpoolUnavailable: the spool cannot take it (nothing was accepted).
        """
        signed, message_type = self.sign(message_id, translate)
        entry, new = self.spool.put(message_id, message_type, signed, now=time.time())
        return Outcome(self._sender.send_now(entry), new)

    def sign(self, message_id: str, translate: Translate) -> tuple[bytes, str]:
        """The signed bytes of the translated envelope, checked against the hub's schemas,
        and its message type.

        Raises:
            InputRefused: the translation or the schemas refused the input.
        """
        try:
            envelope = translate(message_id, datetime.now(UTC))
        except TranslationError as exc:
            raise InputRefused(INVALID_PAYLOAD, exc.field, exc.reason) from exc
        _speak_as(envelope, self.code)
        signed = self.hub.sign(envelope)
        # The very bytes the hub will read, through the same parser and XSDs.
        try:
            tree = schemas.parse_xml(signed)
            schemas.validate_envelope(tree)
            header = schemas.read_header(tree)
            schemas.validate_payload(tree, header)
        except schemas.SchemaInvalid as exc:
            raise InputRefused(_SCHEMA_CODES[exc.reason], exc.path or "/", exc.detail) from exc
        except schemas.SchemaError as exc:
            code = _SCHEMA_CODES.get(exc.reason, f"xml.{exc.reason}")
            raise InputRefused(code, "/", str(exc)) from exc
        return signed, header.message_type


def _speak_as(envelope: etree._Element, code: str) -> None:
    """Name the bundle's partner as the Sender: the translations write their agency's code,
    while an organisation of it (a school ``edu-school-12`` of ``education``) signs as
    itself, and the hub refuses a Sender the certificate does not name."""
    system = envelope.find(
        f"{{{schemas.ENVELOPE_NS}}}Header/{{{schemas.ENVELOPE_NS}}}Sender/"
        f"{{{schemas.ENVELOPE_NS}}}System"
    )
    if system is not None:
        system.text = code
