"""Which transport reaches a recipient: the partner registry in the database, read once.

``deliver_once`` asks a ``TransportResolver`` for the recipient's transport; the
production resolver, ``PartnerTransports``, builds it from the partner's row
(adapter code, endpoint) and keeps one per recipient, so connection pools are
reused across deliveries. Tests pass a resolver that hands out an
``InMemoryTransport``.
"""

import threading
from collections.abc import Mapping
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import Adapter, Transport
from hub.store import DeliveryMode, Partner
from queues.errors import TransportMissing

__all__ = ["PartnerTransports", "TransportResolver"]


class TransportResolver(Protocol):
    """Hands out the push transport for a recipient; shared by a worker's threads."""

    def transport_for(self, recipient: str) -> Transport:
        """The transport that delivers to partner ``recipient``.

        Raises:
          TransportMissing: the recipient cannot be pushed to.
        """
        ...

    def close(self) -> None:
        """Close every transport handed out."""
        ...


class PartnerTransports:
    """Transports built from the ``partner`` table, one per recipient, cached until ``close()``.

    A partner's endpoint change takes effect when the worker restarts. Thread-safe.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        adapters_by_code: Mapping[str, Adapter],
        timeout_s: float,
    ) -> None:
        """``timeout_s``: the limit of one call to a partner, in seconds."""
        self._session_factory = session_factory
        self._adapters = dict(adapters_by_code)
        self._timeout_s = timeout_s
        self._transports: dict[str, Transport] = {}
        self._lock = threading.Lock()

    def transport_for(self, recipient: str) -> Transport:
        """The cached transport for ``recipient``, built on first use.

        Raises:
          TransportMissing: unknown or inactive partner, a pull partner, no
            endpoint, or its adapter is not installed or has no push transport.
        """
        with self._lock:
            transport = self._transports.get(recipient)
            if transport is None:
                transport = self._transports[recipient] = self._build(recipient)
            return transport

    def close(self) -> None:
        with self._lock:
            transports = list(self._transports.values())
            self._transports.clear()
        for transport in transports:
            transport.close()

    def _build(self, recipient: str) -> Transport:
        with self._session_factory() as session:
            partner = session.execute(
                select(Partner).where(Partner.code == recipient)
            ).scalar_one_or_none()
        if partner is None or not partner.active:
            raise TransportMissing(recipient, "no active partner with this code")
        if partner.delivery_mode is not DeliveryMode.PUSH:
            raise TransportMissing(recipient, "the partner pulls its inbox")
        if not partner.endpoint:
            raise TransportMissing(recipient, "the partner has no endpoint")
        adapter = self._adapters.get(partner.adapter)
        if adapter is None or adapter.make_transport is None:
            raise TransportMissing(recipient, f"adapter {partner.adapter!r} cannot push")
        return adapter.make_transport(partner.endpoint, self._timeout_s)
