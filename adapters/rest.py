"""Push delivery to a partner's REST webhook: the native JSON record POSTed once per message.

Shared by every partner whose system takes JSON over HTTP (the social centre, the employment
centre). ``WebhookTransport`` translates the hub's outbound copy with the partner's
``from_canonical``, POSTs it with the headers receivers de-duplicate on
(``X-Hub-Message-Id``, ``Idempotency-Key``), and reads the partner's own reference from the
answer. Every httpx error and HTTP status is mapped to the delivery contract in
``map_transport_errors``; nothing above it sees httpx.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Self

import httpx
from lxml import etree

import schemas
from adapters.base import DeliveryResult, OutboundMessage, PartnerRejected, PartnerUnavailable
from schemas import TranslationError

__all__ = ["WebhookTransport", "map_transport_errors", "retry_after_s"]

#: Statuses after which the same request may succeed later.
_RETRYABLE_STATUSES = frozenset({408, 425, 429})

#: A partner's canonical → native translation (its ``translate.from_canonical``), given the
#: recipient's code too: the agency's own system, or an organisation registered under it.
ToNative = Callable[[etree._Element, str], dict[str, object]]


class WebhookTransport:
    """Pushes outbound copies to one partner's webhook as its native JSON records.

    Parameters:
        endpoint: the partner's base URL, e.g. ``http://127.0.0.1:8101``.
        http: owned by the transport and closed with it; tests pass one built on
            ``httpx.MockTransport``.
        to_native: the partner's ``from_canonical``.
        path: the webhook's path under ``endpoint``.
        reference_key: the key of the partner's own reference in its JSON answer.
        partner: how error messages name the partner ("centre").
    """

    def __init__(
        self,
        endpoint: str,
        http: httpx.Client,
        *,
        to_native: ToNative,
        path: str,
        reference_key: str,
        partner: str,
    ) -> None:
        self._url = endpoint.rstrip("/") + path
        # httpx.Client keeps connections per transport; urllib3 is cheaper (docs/performance.md)
        # but would replace httpx's proxy, TLS and timeout handling.
        self._http = http
        self._to_native = to_native
        self._reference_key = reference_key
        self._partner = partner

    def deliver(self, message: OutboundMessage) -> DeliveryResult:
        """POST the message as the partner's native record.

        Raises:
            PartnerUnavailable: connection error, timeout, 408/425/429 or 5xx (with the
                Retry-After delay when the partner sent one).
            PartnerRejected: any other 4xx, or a message the partner's format cannot carry.
        """
        try:
            record = self._to_native(schemas.parse_xml(message.envelope), message.recipient)
        except (TranslationError, schemas.SchemaError) as exc:
            raise PartnerRejected(f"{message.message_id}: not translatable: {exc}") from exc
        with map_transport_errors(self._partner):
            response = self._http.post(
                self._url,
                json=record,
                headers={
                    "X-Hub-Message-Id": message.message_id,
                    "X-Hub-Delivery-Id": str(message.delivery_id),
                    # One message is one record for the partner, however often it is delivered.
                    "Idempotency-Key": message.message_id,
                },
            )
            response.raise_for_status()
        return DeliveryResult(remote_reference=self._reference_of(response))

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _reference_of(self, response: httpx.Response) -> str | None:
        try:
            body = response.json()
        except ValueError:
            return None
        reference = body.get(self._reference_key) if isinstance(body, dict) else None
        return None if reference is None else str(reference)


@contextmanager
def map_transport_errors(partner: str = "partner") -> Iterator[None]:
    """Translate httpx errors into ``PartnerUnavailable`` / ``PartnerRejected``, ``from`` them."""
    try:
        yield
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        if status in _RETRYABLE_STATUSES or status >= 500:
            raise PartnerUnavailable(
                f"{partner} answered {status}", retry_after_s=retry_after_s(exc.response)
            ) from exc
        raise PartnerRejected(f"{partner} refused the message: {status}") from exc
    except httpx.TransportError as exc:
        # Timeouts, refused connections, resets, protocol errors: the partner may be back soon.
        raise PartnerUnavailable(f"{partner} not reachable: {type(exc).__name__}") from exc


def retry_after_s(response: httpx.Response) -> float | None:
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
