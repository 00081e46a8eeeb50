"""Which transport reaches a recipient: the partner registry in the database, read once.

``deliver_batch`` asks a ``TransportResolver`` for the recipient's transport; the
production resolver, ``PartnerTransports``, builds it from the partner's row
(adapter code, endpoint) and keeps one per recipient, so connection pools are
reused across deliveries, until the partner's endpoint changes: each batch reads
the endpoint when it claims its rows and hands it over, and a transport built for
another endpoint is replaced. Tests pass a resolver that hands out an ``InMemoryTransport``.
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

    def transport_for(self, recipient: str, endpoint: str | None) -> Transport:
        """The transport that delivers to partner ``recipient`` at ``endpoint``.

        ``endpoint`` is the one the batch read from the partner's row just now.

        Raises:
          TransportMissing: the recipient cannot be pushed to.
        """
        ...

    def close(self) -> None:
        """Close every transport handed out."""
        ...


class PartnerTransports:
    """Transports built from the ``partner`` table, one per recipient, cached until ``close()``
    or until the partner's endpoint changes (``hub partners set-endpoint``). Thread-safe.
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
        #: recipient → the endpoint its transport was built for, and the transport.
        self._transports: dict[str, tuple[str, Transport]] = {}
        #: Replaced transports: another thread may still be delivering through one, so
        #: they are closed with the rest by ``close()``, not when replaced.
        self._replaced: list[Transport] = []
        self._lock = threading.Lock()

    def transport_for(self, recipient: str, endpoint: str | None) -> Transport:
        """The cached transport for ``recipient``, built on first use and again when
        ``endpoint`` is not the one it was built for.

        Raises:
          TransportMissing: unknown or inactive partner, a pull partner, no
            endpoint, or its adapter is not installed or has no push transport.
        """
        with self._lock:
            cached = self._transports.get(recipient)
            if cached is not None and cached[0] == endpoint:
                return cached[1]
            built = self._build(recipient)
            if cached is not None:
                self._replaced.append(cached[1])
            self._transports[recipient] = built
            return built[1]

    def close(self) -> None:
        with self._lock:
            transports = [t for _, t in self._transports.values()] + self._replaced
            self._transports.clear()
            self._replaced.clear()
        for transport in transports:
            transport.close()

    def _build(self, recipient: str) -> tuple[str, Transport]:
        """The transport for the partner's row as it is now, and the endpoint it has."""
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
        return partner.endpoint, adapter.make_transport(partner.endpoint, self._timeout_s)
