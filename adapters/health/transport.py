"""Delivery to a health system: the outbound copy as FHIR R4 JSON on its FHIR REST API.

A single resource is created with ``POST {endpoint}/fhir/<resourceType>``; a SupportPlan's
transaction Bundle goes to the base, ``POST {endpoint}/fhir``, as FHIR prescribes. Each request
carries ``X-Hub-Message-Id`` (and ``Idempotency-Key``), on which the health system
de-duplicates. The partner's reference is the created resource's ``<type>/<id>``. Every httpx
error and HTTP status is mapped to the delivery contract in ``map_transport_errors``; a
refusal names the OperationOutcome's issue codes and element paths, never its diagnostics.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

import schemas
from adapters.base import DeliveryResult, OutboundMessage, PartnerRejected, PartnerUnavailable
from adapters.health.fhir import FHIR_JSON, outcome_summary
from adapters.health.translate import from_canonical
from adapters.rest import retry_after_s
from schemas import TranslationError

__all__ = ["HealthTransport", "map_transport_errors"]

#: Statuses after which the same request may succeed later (besides every 5xx).
_RETRYABLE_STATUSES = frozenset({408, 425, 429})


class HealthTransport:
    """Pushes outbound copies to one health system's FHIR API.

    Parameters:
        endpoint: the system's base URL, e.g. ``http://127.0.0.1:8104`` (FHIR under ``/fhir``).
        http: owned by the transport and closed with it; tests pass one built on
            ``httpx.MockTransport``.
    """

    def __init__(self, endpoint: str, http: httpx.Client) -> None:
        self._base = endpoint.rstrip("/") + "/fhir"
        # A keep-alive pool shared by the worker's threads; why httpx: adapters/rest.py.
        self._http = http

    @classmethod
    def connect(cls, endpoint: str, timeout_s: float) -> HealthTransport:
        """The transport with its own HTTP client (``Adapter.make_transport``)."""
        return cls(endpoint, httpx.Client(timeout=timeout_s))

    def deliver(self, message: OutboundMessage) -> DeliveryResult:
        """POST the message as its FHIR resource or transaction Bundle.

        Raises:
            PartnerUnavailable: connection error, timeout, 408/425/429 or 5xx (with the
                Retry-After delay when the system sent one).
            PartnerRejected: any other 4xx, or a message with no FHIR form here.
        """
        try:
            # The recipient is the hospital: a plan's Tasks are the actions named for it.
            resource = from_canonical(
                schemas.parse_xml(message.envelope), hospital=message.recipient
            )
        except (TranslationError, schemas.SchemaError) as exc:
            raise PartnerRejected(f"{message.message_id}: not translatable: {exc}") from exc
        kind = str(resource["resourceType"])
        url = self._base if kind == "Bundle" else f"{self._base}/{kind}"
        with map_transport_errors():
            response = self._http.post(
                url,
                content=json.dumps(resource, ensure_ascii=False).encode("utf-8"),
                headers={
                    "Content-Type": FHIR_JSON,
                    "Accept": FHIR_JSON,
                    "X-Hub-Message-Id": message.message_id,
                    "X-Hub-Delivery-Id": str(message.delivery_id),
                    # One message is one resource for the system, however often delivered.
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
                f"health system answered {status}", retry_after_s=retry_after_s(exc.response)
            ) from exc
        summary = outcome_summary(_json_of(exc.response))
        detail = "" if summary is None else f" ({summary})"
        raise PartnerRejected(f"health system refused the message: {status}{detail}") from exc
    except httpx.TransportError as exc:
        # Timeouts, refused connections, resets, protocol errors: the system may be back soon.
        raise PartnerUnavailable(f"health system not reachable: {type(exc).__name__}") from exc


def _json_of(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def _reference_of(response: httpx.Response) -> str | None:
    """``<type>/<id>`` of the created resource (or transaction-response Bundle), if given."""
    body = _json_of(response)
    if isinstance(body, dict) and body.get("resourceType") and body.get("id"):
        return f"{body['resourceType']}/{body['id']}"
    location = response.headers.get("Location")
    if location is None:
        return None
    # [base]/<type>/<id>[/_history/<version>]
    parts = location.split("/_history/")[0].rstrip("/").split("/")
    return "/".join(parts[-2:])
