"""Delivery to the social service centre: its native JSON event POSTed to its webhook.

``POST {endpoint}/hub/inbox`` with the event from ``translate.from_canonical``; the centre
answers with its registration number. The HTTP plumbing and the error mapping are the
shared ``adapters.rest.WebhookTransport``.
"""

from __future__ import annotations

import httpx

from adapters.rest import WebhookTransport
from adapters.social.translate import from_canonical

__all__ = ["SocialTransport"]


class SocialTransport(WebhookTransport):
    """Pushes outbound copies to one centre's webhook (``POST /hub/inbox``).

    Parameters:
        endpoint: the centre's base URL, e.g. ``http://127.0.0.1:8101``.
        http: owned by the transport and closed with it.
    """

    def __init__(self, endpoint: str, http: httpx.Client) -> None:
        super().__init__(
            endpoint,
            http,
            # The case owner takes every line of a plan, whichever centre it is.
            to_native=lambda envelope, _recipient: from_canonical(envelope),
            path="/hub/inbox",
            reference_key="registration_number",
            partner="centre",
        )

    @classmethod
    def connect(cls, endpoint: str, timeout_s: float) -> SocialTransport:
        """The transport with its own HTTP client (``Adapter.make_transport``)."""
        return cls(endpoint, httpx.Client(timeout=timeout_s))
