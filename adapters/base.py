"""What every partner adapter provides: a transport that delivers the hub's outbound copies.

Modelled on httpx's transports: one small protocol (``deliver`` and ``close``), a
network implementation per partner system, and ``InMemoryTransport`` for tests that
need a partner which records what it got or fails on demand.

Error tree (raised by ``Transport.deliver``; nothing above a transport sees httpx or urllib3)::

    PartnerError
    ├── PartnerUnavailable   the partner may take it later: retry with backoff
    └── PartnerRejected      the partner refused this message for good: dead-letter it
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol


@dataclass(frozen=True)
class OutboundMessage:
    """One hub-signed canonical message on its way to one recipient."""

    delivery_id: int
    recipient: str
    message_id: str  # the sender's MessageId: receivers de-duplicate on it
    message_type: str
    priority: str
    envelope: bytes  # the outbound copy, signed by the hub


@dataclass(frozen=True)
class DeliveryResult:
    """What the partner answered when it took the message."""

    remote_reference: str | None = None


class PartnerError(Exception):
    """Base of delivery failures; messages carry ids and status codes, never personal data."""


class PartnerUnavailable(PartnerError):
    """Down, timing out, overloaded or answering 5xx: worth another try later."""

    def __init__(self, detail: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class PartnerRejected(PartnerError):
    """The partner refused the message itself (4xx, SOAP client fault): retrying cannot help."""


class Transport(Protocol):
    """Moves one outbound message to its partner system."""

    def deliver(self, message: OutboundMessage) -> DeliveryResult:
        """Deliver ``message``; raise ``PartnerUnavailable`` or ``PartnerRejected`` on failure."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


@dataclass(frozen=True)
class Adapter:
    """A partner system's adapter as the hub sees it.

    ``make_transport(endpoint, timeout_s)`` builds the push transport; pull
    partners (who poll their inbox) have none. ``endpoint_schemes`` are the URL
    schemes its endpoint may have (the hub checks an endpoint before storing it).
    """

    code: str
    delivery_mode: Literal["push", "pull"]
    make_transport: Callable[[str, float], Transport] | None = None
    endpoint_schemes: tuple[str, ...] = ("http", "https")


@dataclass
class InMemoryTransport:
    """A real in-memory partner: records deliveries, and fails the next N on request."""

    delivered: list[OutboundMessage] = field(default_factory=list)
    _failures: list[PartnerError] = field(default_factory=list)

    def fail_next(self, count: int, error: PartnerError | None = None) -> None:
        """Make the next ``count`` deliveries raise ``error`` (default: partner unavailable)."""
        self._failures.extend([error or PartnerUnavailable("simulated outage")] * count)

    def deliver(self, message: OutboundMessage) -> DeliveryResult:
        if self._failures:
            raise self._failures.pop(0)
        self.delivered.append(message)
        return DeliveryResult(remote_reference=f"mem-{len(self.delivered)}")

    def close(self) -> None:
        """Nothing to release."""
