"""Delivery to the social service centre: its native JSON event POSTed to its webhook.

``POST {endpoint}/hub/inbox`` with the event from ``translate.from_canonical`` and the
headers the centre de-duplicates on (``X-Hub-Message-Id``, ``Idempotency-Key``). Every
httpx error and HTTP status is mapped to the delivery contract in ``map_transport_errors``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

import schemas
from adapters.base import DeliveryResult, OutboundMessage, PartnerRejected, PartnerUnavailable
from adapters.errors import TranslationError
from adapters.social.translate import from_canonical

__all__ = ["SocialTransport", "map_transport_errors"]

#: Statuses after which the same request may succeed later.
_RETRYABLE_STATUSES = frozenset({408, 425, 429})


class SocialTransport:
    """Pushes outbound copies to one centre's webhook.

    Parameters:
        endpoint: the centre's base URL, e.g. ``http://127.0.0.1:8101``.
        http: owned by the transport and closed with it; tests pass one built on
            ``httpx.MockTransport``.
    """

    def __init__(self, endpoint: str, http: httpx.Client) -> None:
        self._url = endpoint.rstrip("/") + "/hub/inbox"
        self._http = http

    @classmethod
    def connect(cls, endpoint: str, timeout_s: float) -> SocialTransport:
        """The transport with its own HTTP client (``Adapter.make_transport``)."""
        return cls(endpoint, httpx.Client(timeout=timeout_s))

    def deliver(self, message: OutboundMessage) -> DeliveryResult:
        """POST the message as the centre's native event.

        Raises:
            PartnerUnavailable: connection error, timeout, 408/425/429 or 5xx (with the
                Retry-After delay when the centre sent one).
            PartnerRejected: any other 4xx, or a message the centre's format cannot carry.
        """
        try:
            event = from_canonical(schemas.parse_xml(message.envelope))
        except (TranslationError, schemas.SchemaError) as exc:
            raise PartnerRejected(f"{message.message_id}: not translatable: {exc}") from exc
        with map_transport_errors():
            response = self._http.post(
                self._url,
                json=event,
                headers={
                    "X-Hub-Message-Id": message.message_id,
                    "X-Hub-Delivery-Id": str(message.delivery_id),
                    # One message is one event for the centre, however often it is delivered.
                    "Idempotency-Key": message.message_id,
                },
            )
            response.raise_for_status()
        return DeliveryResult(remote_reference=_reference_of(response))

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()


@contextmanager
def map_transport_errors() -> Iterator[None]:
    """Translate httpx errors into ``PartnerUnavailable`` / ``PartnerRejected``, ``from`` them."""
    try:
        yield
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        if status in _RETRYABLE_STATUSES or status >= 500:
            raise PartnerUnavailable(
                f"centre answered {status}", retry_after_s=_retry_after_s(exc.response)
            ) from exc
        raise PartnerRejected(f"centre refused the message: {status}") from exc
    except httpx.TransportError as exc:
        # Timeouts, refused connections, resets, protocol errors: the centre may be back soon.
        raise PartnerUnavailable(f"centre not reachable: {type(exc).__name__}") from exc


def _retry_after_s(response: httpx.Response) -> float | None:
    """The Retry-After header in seconds (delta-seconds or an HTTP date), if usable."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC without saying so
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _reference_of(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    reference = body.get("registration_number") if isinstance(body, dict) else None
    return None if reference is None else str(reference)
