"""Delivery to the commission (КДН и ЗП): its SOAP operations over a kept-alive connection.

A FamilyReferral is registered as a signal (``RegisterSignal``); a document of a case the
commission follows (survey act, consent, decision, plan, status, report, closure, answer) is
filed by ``RegisterDocument``.

The request is written with lxml from the register's schema (``operations``), not by zeep,
whose own work was most of a call's CPU (docs/performance.md); the bytes are the same.
Each call is one POST on the transport's urllib3 pool, which keeps its connections open
across calls and is shared by the worker's threads. Faults, HTTP and network errors are
mapped to the delivery contract in ``operations.read_answer`` and ``map_transport_errors``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import requests
import requests.utils
import urllib3

import schemas
from adapters.base import DeliveryResult, OutboundMessage, PartnerRejected, PartnerUnavailable
from adapters.kdn.operations import OPERATIONS, read_answer, request_body
from adapters.kdn.translate import from_canonical
from adapters.kdn.wsdl import XML_MEDIA_TYPE
from schemas import TranslationError

__all__ = ["KdnTransport", "map_transport_errors"]

#: Connections kept open to the commission: one per worker thread (``worker_threads``).
_KEPT_CONNECTIONS = 8


class KdnTransport:
    """Registers FamilyReferrals as signals, and case documents, in one commission's register.

    Parameters:
        endpoint: the SOAP endpoint, e.g. ``http://127.0.0.1:8102/soap``.
        timeout_s: to connect, and to wait for each answer.
    """

    def __init__(self, endpoint: str, timeout_s: float) -> None:
        self._endpoint = endpoint
        self._pool = _pool_for(endpoint, timeout_s)

    def deliver(self, message: OutboundMessage) -> DeliveryResult:
        """Call ``RegisterSignal`` (a referral) or ``RegisterDocument`` (a case document).

        Raises:
            PartnerUnavailable: the commission is down, slow, answers a non-SOAP HTTP error,
                or a soap:Server fault.
            PartnerRejected: a soap:Client fault, or a message the register cannot carry.
        """
        try:
            record = from_canonical(schemas.parse_xml(message.envelope))
        except (TranslationError, schemas.SchemaError) as exc:
            raise PartnerRejected(f"{message.message_id}: not translatable: {exc}") from exc
        operation = OPERATIONS["signal" if message.message_type == "FamilyReferral" else "document"]
        body = request_body(operation, record)
        with map_transport_errors():
            response = self._pool.request(
                "POST",
                self._endpoint,
                body=body,
                headers={"Content-Type": XML_MEDIA_TYPE, "SOAPAction": operation.soap_action},
            )
        return DeliveryResult(
            remote_reference=read_answer(operation, response.status, response.data)
        )

    def close(self) -> None:
        """Close the kept connections."""
        self._pool.clear()


def _pool_for(endpoint: str, timeout_s: float) -> urllib3.PoolManager:
    """A pool with the proxy and CA bundle the environment names now, as requests finds them.

    requests (and zeep over it) re-read them, and ``~/.netrc``, on every call; the
    environment of a running worker does not change, so what it says at start is what every
    call would have found.
    """
    with requests.Session() as session:
        settings = session.merge_environment_settings(endpoint, {}, None, None, None)
    verify = settings["verify"]
    ca_certs = requests.utils.DEFAULT_CA_BUNDLE_PATH if verify is True else verify
    timeout = urllib3.Timeout(connect=timeout_s, read=timeout_s)
    proxy = requests.utils.select_proxy(endpoint, settings["proxies"])
    # No retries here: a failed call is retried by the worker, with backoff.
    if proxy:
        return urllib3.ProxyManager(
            proxy, timeout=timeout, retries=False, maxsize=_KEPT_CONNECTIONS, ca_certs=ca_certs
        )
    return urllib3.PoolManager(
        timeout=timeout, retries=False, maxsize=_KEPT_CONNECTIONS, ca_certs=ca_certs
    )


@contextmanager
def map_transport_errors() -> Iterator[None]:
    """Translate urllib3's errors into ``PartnerUnavailable``, ``from`` them."""
    try:
        yield
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        # Timeouts, refused connections, resets, a truncated answer: may pass later.
        raise PartnerUnavailable(f"commission not reachable: {type(exc).__name__}") from exc
