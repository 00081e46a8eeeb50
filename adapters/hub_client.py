"""A partner system's client of the hub's HTTP API: send signed messages, pull the inbox, ack.

Used by the simulators (and by any real partner written in Python). The partner's key is
loaded once per client; each send signs the canonical envelope and posts it. Inbox messages
are hub-signed: each is safe-parsed and verified against the hub CA before anyone reads it.

Errors::

    HubClientError
    ├── HubRefused       the hub answered problem+json 4xx: fix the message, do not resend
    └── HubUnreachable   network error, timeout, 429 or 5xx: resend later (idempotent)
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography import x509
from lxml import etree

import schemas
from signing import ANY_PROVIDER, SigningError, SigningKey, TrustStore, XmlSigner, XmlVerifier

__all__ = [
    "Delivery",
    "HubClient",
    "HubClientError",
    "HubRefused",
    "HubUnreachable",
    "InboxItem",
    "PartnerProfile",
    "SendReceipt",
]

#: The problem code with which the hub says "I already have this MessageId".
DUPLICATE_CODE = "replay.duplicate"
#: How long one HTTP exchange with the hub may take, in seconds.
DEFAULT_TIMEOUT_S = 10.0
#: The system code of the hub's own certificate, which signs every inbox message.
_HUB_SIGNER = "hub"


class HubClientError(Exception):
    """Base of the hub client's errors."""


class HubRefused(HubClientError):
    """The hub refused the request for good (4xx problem+json); ``code`` is its stable code,
    ``hub_id`` the accepted copy's for a ``replay.duplicate``."""

    def __init__(self, code: str, status: int, detail: str, *, hub_id: int | None = None) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.code = code
        self.status = status
        self.detail = detail
        self.hub_id = hub_id


class HubUnreachable(HubClientError):
    """The hub could not take the request now; the same request may be repeated later."""

    def __init__(self, detail: str, *, status: int | None = None) -> None:
        super().__init__(detail)
        self.status = status


@dataclass(frozen=True)
class Delivery:
    """One recipient the hub routed a message to, and the delivery's status then."""

    recipient: str
    status: str


@dataclass(frozen=True)
class SendReceipt:
    """The hub's answer to a send.

    ``duplicate`` when the hub already had this MessageId (409 ``replay.duplicate``); then
    ``hub_id`` is the accepted copy's (when the hub says it) and ``deliveries`` is empty.
    """

    message_id: str
    hub_id: int | None
    deliveries: tuple[Delivery, ...]
    duplicate: bool = False


@dataclass(frozen=True)
class InboxItem:
    """One message waiting in the partner's hub inbox.

    ``envelope`` is the verified signed content, or ``None`` with ``problem`` saying why the
    message could not be verified (the partner records and acks it rather than loop on it).
    """

    delivery_id: int
    message_id: str
    message_type: str
    envelope: etree._Element | None
    problem: str | None = None


@dataclass(frozen=True)
class PartnerProfile:
    """The partner as the hub knows it (``GET /api/v1/partners/me``); times are ISO 8601."""

    code: str
    organisation: str
    #: ``push`` (the hub delivers to its endpoint) or ``pull`` (it polls its inbox).
    delivery_mode: str
    may_send: tuple[str, ...]
    #: Types the routing rules always deliver to it…
    receives: tuple[str, ...]
    #: …and those it gets when a message makes it a recipient (its case, a correlation).
    may_receive: tuple[str, ...]
    visible_classes: tuple[str, ...]
    #: SHA-256 fingerprint → its ``not_after``, for each certificate registered for it.
    certificates: dict[str, str]
    api_key_expires_at: str | None


class HubClient:
    """The hub's API as one partner system sees it; thread-safe (httpx.Client is).

    Parameters:
        hub_url: e.g. ``http://127.0.0.1:8000``.
        credentials_dir: holds ``key.pem``, ``cert.pem``, ``ca.pem`` and ``api_key``.
        http: the client to use (tests pass one with ``httpx.MockTransport``); closed by
            ``close()`` either way.

    Raises:
        OSError: a credentials file cannot be read.
        ValueError: malformed PEM or a key that does not match its certificate.
    """

    def __init__(
        self, hub_url: str, credentials_dir: Path, *, http: httpx.Client | None = None
    ) -> None:
        key = SigningKey.load(credentials_dir / "key.pem", credentials_dir / "cert.pem")
        ca = x509.load_pem_x509_certificates((credentials_dir / "ca.pem").read_bytes())
        self.system_code = key.system_code
        self._signer = XmlSigner(key)
        # The hub signs with whatever family the region runs on; the key binding and the
        # partner's own CA file decide the rest.
        self._verifier = XmlVerifier(TrustStore(ca_certificates=ca), ANY_PROVIDER)
        api_key = (credentials_dir / "api_key").read_text(encoding="utf-8").strip()
        self._http = http or httpx.Client(timeout=DEFAULT_TIMEOUT_S)
        self._base = hub_url.rstrip("/")
        self._auth = {"Authorization": f"Bearer {api_key}"}

    def send(self, envelope: etree._Element) -> SendReceipt:
        """Sign ``envelope`` with the partner's key and post it to the hub.

        A 409 ``replay.duplicate`` is a success: the hub has this MessageId already, so a
        resend after a lost answer is safe.

        Raises:
            HubRefused: the hub rejected the message (any other problem code).
            HubUnreachable: network error, timeout, 429 or 5xx.
        """
        return self.send_signed(self.sign(envelope), schemas.read_header(envelope).message_id)

    def send_signed(self, signed: bytes, message_id: str) -> SendReceipt:
        """Post an already signed message (``sign``) with MessageId ``message_id``.

        A partner that got no answer resends the very same bytes; as with ``send``, a 409
        ``replay.duplicate`` then means the hub has it.

        Raises:
            HubRefused: the hub rejected the message (any other problem code).
            HubUnreachable: network error, timeout, 429 or 5xx.
        """
        try:
            response = self._request(
                "POST",
                "/api/v1/messages",
                content=signed,
                headers={"Content-Type": "application/xml"},
            )
        except HubRefused as exc:
            if exc.code == DUPLICATE_CODE:
                return SendReceipt(
                    message_id=message_id, hub_id=exc.hub_id, deliveries=(), duplicate=True
                )
            raise
        body = response.json()
        return SendReceipt(
            message_id=str(body.get("message_id", message_id)),
            hub_id=body.get("hub_id"),
            deliveries=tuple(
                Delivery(str(d["recipient"]), str(d["status"])) for d in body.get("deliveries", [])
            ),
        )

    def sign(self, envelope: etree._Element) -> bytes:
        """The envelope signed with the partner's key, as ``send`` posts it."""
        return self._signer.sign(envelope)

    def partner_profile(self) -> PartnerProfile:
        """What the hub knows of this partner: what it may send and receive, how it gets its
        messages, its certificates and its API key's expiry.

        Raises:
            HubRefused: the hub refused the request (e.g. a bad API key).
            HubUnreachable: network error, timeout, 429 or 5xx.
        """
        body = self._request("GET", "/api/v1/partners/me").json()
        return PartnerProfile(
            code=str(body["code"]),
            organisation=str(body["organisation"]),
            delivery_mode=str(body["delivery_mode"]),
            may_send=tuple(body["may_send"]),
            receives=tuple(body["receives"]),
            may_receive=tuple(body["may_receive"]),
            visible_classes=tuple(body["visible_classes"]),
            certificates={
                str(c["fingerprint_sha256"]): str(c["not_after"]) for c in body["certificates"]
            },
            api_key_expires_at=body.get("api_key_expires_at"),
        )

    def poll_inbox(self, limit: int = 20) -> list[InboxItem]:
        """Fetch up to ``limit`` messages from the partner's inbox, each verified.

        Unacked messages come back after the hub's visibility timeout; call ``ack`` once a
        message is stored.

        Raises:
            HubRefused: the hub refused the request (e.g. a bad API key).
            HubUnreachable: network error, timeout, 429 or 5xx.
        """
        response = self._request("GET", "/api/v1/inbox", params={"limit": limit})
        return [self._verify(item) for item in response.json().get("messages", [])]

    def ack(self, delivery_id: int) -> None:
        """Acknowledge one inbox message; idempotent at the hub.

        Raises:
            HubRefused: the hub refused the acknowledgement.
            HubUnreachable: network error, timeout, 429 or 5xx.
        """
        self._request("POST", f"/api/v1/inbox/{delivery_id}/ack")

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: dict[str, int] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        with _map_http_errors():
            response = self._http.request(
                method,
                self._base + path,
                content=content,
                params=params,
                headers={**self._auth, **(headers or {})},
            )
            response.raise_for_status()
        return response

    def _verify(self, item: dict[str, object]) -> InboxItem:
        delivery_id = int(str(item["delivery_id"]))
        message_id = str(item.get("message_id", ""))
        message_type = str(item.get("message_type", ""))
        try:
            raw = base64.b64decode(str(item["envelope"]), validate=True)
            verified = self._verifier.verify(schemas.parse_xml(raw), expected_sender=_HUB_SIGNER)
        except (KeyError, binascii.Error) as exc:
            problem = f"envelope missing or not base64: {type(exc).__name__}"
        except schemas.SchemaError as exc:
            problem = f"envelope not acceptable XML: {type(exc).__name__}"
        except SigningError as exc:
            problem = f"signature.{exc.reason}"
        else:
            return InboxItem(delivery_id, message_id, message_type, verified.signed_xml)
        return InboxItem(delivery_id, message_id, message_type, None, problem)


@contextmanager
def _map_http_errors() -> Iterator[None]:
    """Turn httpx errors and non-2xx answers from the hub into ``HubClientError``s."""
    try:
        yield
    except httpx.HTTPStatusError as exc:
        raise _error_of(exc.response) from exc
    except httpx.TransportError as exc:
        raise HubUnreachable(f"hub not reachable: {type(exc).__name__}") from exc


def _error_of(response: httpx.Response) -> HubClientError:
    status = response.status_code
    if status == 429 or status >= 500:
        return HubUnreachable(f"hub answered {status}", status=status)
    try:
        problem = response.json()
    except json.JSONDecodeError:
        problem = {}
    if not isinstance(problem, dict):
        problem = {}
    hub_id = problem.get("hub_id")
    return HubRefused(
        code=str(problem.get("code", f"http.{status}")),
        status=status,
        detail=str(problem.get("detail", problem.get("title", response.reason_phrase))),
        hub_id=hub_id if isinstance(hub_id, int) else None,
    )
