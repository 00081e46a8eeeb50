"""Errors raised by the delivery queues.

::

    QueuesError
    ├── BrokerUrlUnsupported   (ValueError)   a broker URL scheme we cannot serve
    ├── EmbeddedRedisFailed    (RuntimeError) the embedded Redis did not start or answer
    └── TransportMissing       (LookupError)  a recipient with no push transport
"""

__all__ = ["BrokerUrlUnsupported", "EmbeddedRedisFailed", "QueuesError", "TransportMissing"]


class QueuesError(Exception):
    """Base of the errors raised by ``queues``."""


class BrokerUrlUnsupported(QueuesError, ValueError):
    """The broker URL's scheme is unknown, or its client library is not installed."""


class EmbeddedRedisFailed(QueuesError, RuntimeError):
    """The embedded Redis server did not start, or did not answer in time."""


class TransportMissing(QueuesError, LookupError):
    """No push transport for a recipient: unknown or inactive partner, no endpoint,
    an adapter not installed, or a pull partner. Retrying cannot help until the
    partner registry is fixed, so the delivery goes to the dead letters (replayable).
    """

    def __init__(self, recipient: str, reason: str) -> None:
        super().__init__(f"no push transport for {recipient!r}: {reason}")
        self.recipient = recipient
        self.reason = reason
