"""Every way the hub refuses a message, each with a stable machine code and HTTP status.

Codes are ``<stage>.<reason>``, lowercase, never changed or reused; partners
program against them. The stages follow the ingest pipeline (ARCHITECTURE §4)::

    HubError
    ├── Rejection            a message (or request) we refuse: recorded, never stored as accepted
    │                        code from REJECTION_CODES: auth.* xml.* envelope.* signature.*
    │                        schema.* payload.* replay.* routing.*
    │   └── OperationRefused an administrator's operation (pause, cancel, replay) refused: ops.*
    └── NotFound             an id the caller asked for does not exist (or is not theirs)

Programmer errors stay ``RuntimeError``/``TypeError`` and become a 500.
"""

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class RejectionKind:
    status: int
    title: str


#: The catalogue. Titles are shown to partner engineers; details never hold personal data.
REJECTION_CODES: Final[dict[str, RejectionKind]] = {
    # Who is calling
    "auth.missing_credentials": RejectionKind(401, "No API key was presented"),
    "auth.invalid_credentials": RejectionKind(401, "The API key is not valid"),
    "auth.partner_inactive": RejectionKind(403, "The partner system is disabled"),
    "auth.sender_mismatch": RejectionKind(403, "Sender differs from the authenticated partner"),
    "auth.type_not_allowed": RejectionKind(403, "The sender may not send this message type"),
    "auth.rate_limited": RejectionKind(429, "Too many messages a second from this partner"),
    # Who is signed in (people: pages and their JSON API)
    "auth.login_refused": RejectionKind(401, "Wrong login or password"),
    "auth.login_throttled": RejectionKind(429, "Too many failed logins; retry later"),
    "auth.session_required": RejectionKind(401, "No valid session; log in first"),
    "auth.csrf_invalid": RejectionKind(403, "The form's CSRF token does not match the session"),
    "auth.role_forbidden": RejectionKind(403, "The person's role may not do this"),
    # Bytes and XML
    "xml.too_large": RejectionKind(413, "The message exceeds the size limit"),
    "xml.malformed": RejectionKind(400, "The body is not well-formed XML"),
    "xml.too_deep": RejectionKind(400, "The XML nests deeper than allowed"),
    "xml.too_complex": RejectionKind(400, "The XML has too many elements or attributes"),
    "xml.forbidden_construct": RejectionKind(
        400, "DOCTYPE, entity, processing instruction, comment or XInclude found"
    ),
    "envelope.invalid": RejectionKind(422, "The envelope does not match its schema"),
    # Signature
    "signature.missing": RejectionKind(401, "The message is not signed"),
    "signature.profile_violation": RejectionKind(
        400, "The signature does not follow the hub's signature profile"
    ),
    "signature.invalid": RejectionKind(401, "The signature value does not verify"),
    "signature.digest_mismatch": RejectionKind(401, "The content changed after signing"),
    "signature.untrusted": RejectionKind(403, "The signing certificate is not trusted"),
    "signature.expired": RejectionKind(403, "The signing certificate is not valid now"),
    "signature.revoked": RejectionKind(403, "The signing certificate is revoked"),
    "signature.signer_not_sender": RejectionKind(
        403, "The signing certificate does not belong to the envelope's Sender"
    ),
    "signature.certificate_unknown": RejectionKind(
        403, "The signing certificate is not one the Sender registered with the hub"
    ),
    "signature.certificate_retired": RejectionKind(
        403, "The signing certificate was replaced and its overlap has ended"
    ),
    # Payload
    "schema.unknown_type": RejectionKind(422, "Unknown message type"),
    "schema.unsupported_version": RejectionKind(422, "Unsupported schema version"),
    "payload.invalid": RejectionKind(422, "The payload does not match its schema"),
    # Replay
    "replay.duplicate": RejectionKind(409, "A message with this MessageId was already accepted"),
    "replay.stale": RejectionKind(422, "CreatedAt is older than the freshness window"),
    "replay.future": RejectionKind(422, "CreatedAt is in the future"),
    # Routing
    "routing.unknown_correlation": RejectionKind(422, "CorrelationId names no message the hub has"),
    "routing.recipient_not_allowed": RejectionKind(
        403, "An explicit recipient may not receive this message type"
    ),
    "routing.no_recipients": RejectionKind(422, "No recipient is left for this message"),
    # Operations (administrators steering delivery; hub/operations.py)
    "ops.unknown_partner": RejectionKind(404, "No partner system with this code"),
    "ops.unknown_delivery": RejectionKind(404, "No delivery with this id"),
    "ops.not_dead": RejectionKind(409, "Only a dead delivery can be replayed"),
    "ops.already_final": RejectionKind(409, "The delivery is already delivered or cancelled"),
    "ops.reason_required": RejectionKind(422, "The operation needs a reason"),
    "ops.already_paused": RejectionKind(409, "The partner is already paused"),
    "ops.not_paused": RejectionKind(409, "The partner is not paused"),
}


class HubError(Exception):
    """Base of the hub's own errors."""


class Rejection(HubError):
    """A message we refuse: recorded with its code, never stored as accepted.

    ``detail`` is machine-made (ids, XPath, schema reasons), never element values.
    ``extra`` carries safe machine-readable facts for the problem document.
    """

    def __init__(self, code: str, detail: str = "", **extra: str | int) -> None:
        if code not in REJECTION_CODES:
            raise ValueError(f"unknown rejection code {code!r}; add it to REJECTION_CODES")
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail or REJECTION_CODES[code].title
        self.extra = extra

    @property
    def status(self) -> int:
        return REJECTION_CODES[self.code].status

    @property
    def title(self) -> str:
        return REJECTION_CODES[self.code].title


class OperationRefused(Rejection):
    """An administrator's operation (pause, resume, cancel, replay) that changes nothing.

    Raised before anything is written: the caller's transaction may be committed or
    rolled back alike. ``detail`` names the ids, never personal data.
    """


class NotFound(HubError):
    """The id asked for does not exist, or the caller may not know that it does."""

    def __init__(self, what: str, ident: str | int) -> None:
        super().__init__(f"{what} {ident} not found")
        self.what = what
        self.ident = ident
