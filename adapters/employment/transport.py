"""Delivery to the employment centre: its native JSON record POSTed to its hub endpoint.

``POST {endpoint}/api/v1/hub/records`` with the record from ``translate.from_canonical``; the
centre answers with its record number. The HTTP plumbing and the error mapping are the
shared ``adapters.rest.WebhookTransport``.
"""

from __future__ import annotations

import httpx

from adapters.employment.translate import from_canonical
from adapters.rest import WebhookTransport

__all__ = ["RECORDS_PATH", "EmploymentTransport"]

#: Where the centre's system takes the hub's records.
RECORDS_PATH = "/api/v1/hub/records"


class EmploymentTransport(WebhookTransport):
    """Pushes outbound copies to one employment centre.

    Parameters:
        endpoint: the centre's base URL, e.g. ``http://127.0.0.1:8106``.
        http: owned by the transport and closed with it.
    """

    def __init__(self, endpoint: str, http: httpx.Client) -> None:
        super().__init__(
            endpoint,
            http,
            to_native=from_canonical,
            path=RECORDS_PATH,
            reference_key="record_number",
            partner="employment centre",
        )

    @classmethod
    def connect(cls, endpoint: str, timeout_s: float) -> EmploymentTransport:
        """The transport with its own HTTP client (``Adapter.make_transport``)."""
        return cls(endpoint, httpx.Client(timeout=timeout_s))
