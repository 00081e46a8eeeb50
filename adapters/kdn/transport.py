"""Delivery to the commission (КДН и ЗП): SOAP operations through zeep.

A FamilyReferral is registered as a signal (``RegisterSignal``); a document of a case the
commission follows (survey act, consent, decision, plan, status, report, closure, answer) is
filed by ``RegisterDocument``.

The WSDL is fetched from ``{endpoint}?wsdl`` on the first delivery (so a commission that is
down when the hub starts only delays delivery) and kept for the transport's lifetime. SOAP
faults, HTTP and network errors are mapped to the delivery contract in
``map_transport_errors``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import requests
import zeep
import zeep.cache
import zeep.exceptions
import zeep.transports

import schemas
from adapters.base import DeliveryResult, OutboundMessage, PartnerRejected, PartnerUnavailable
from adapters.kdn.translate import from_canonical
from schemas import TranslationError

__all__ = ["BINDING", "KdnTransport", "map_transport_errors"]

#: The binding of the commission's service in its WSDL.
BINDING = "{urn:kdn-zp:signals:1}SignalRegisterBinding"


class KdnTransport:
    """Registers FamilyReferrals as signals in one commission's register.

    Parameters:
        endpoint: the SOAP endpoint, e.g. ``http://127.0.0.1:8102/soap``.
        timeout_s: for fetching the WSDL and for each call.
    """

    def __init__(self, endpoint: str, timeout_s: float) -> None:
        self._endpoint = endpoint
        # zeep ships no type hints: its calls are untyped (no-untyped-call) below.
        self._transport = zeep.transports.Transport(  # type: ignore[no-untyped-call]
            cache=zeep.cache.InMemoryCache(),  # type: ignore[no-untyped-call]
            timeout=timeout_s,
            operation_timeout=timeout_s,
        )
        _read_environment_once(self._transport.session, endpoint)
        self._service: zeep.proxy.ServiceProxy | None = None

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
        with map_transport_errors():
            service = self._get_service()
            if message.message_type == "FamilyReferral":
                ack = service.RegisterSignal(**record)
            else:
                ack = service.RegisterDocument(**record)
        return DeliveryResult(remote_reference=str(ack.RegistrationNumber))

    def close(self) -> None:
        """Close the HTTP session."""
        self._transport.session.close()

    def _get_service(self) -> zeep.proxy.ServiceProxy:
        if self._service is None:
            client = zeep.Client(  # type: ignore[no-untyped-call]
                f"{self._endpoint}?wsdl",
                transport=self._transport,
                settings=zeep.Settings(strict=True, forbid_dtd=True, forbid_entities=True),
            )
            # The WSDL's soap:address is the commission's idea of its host; the hub's
            # configured endpoint wins (proxies, port mappings).
            self._service = client.create_service(  # type: ignore[no-untyped-call]
                BINDING, self._endpoint
            )
        return self._service


def _read_environment_once(session: requests.Session, endpoint: str) -> None:
    """Take the proxy and CA bundle from the environment now, not on every call.

    requests re-reads them (and ``~/.netrc``) for each request when ``trust_env`` is
    on: a tenth of a SOAP call's CPU. The environment of a running worker does not
    change, so what it says at start is what every call would have found.
    """
    settings = session.merge_environment_settings(endpoint, {}, None, None, None)
    session.proxies.update(settings["proxies"])
    session.verify = settings["verify"]
    session.trust_env = False


@contextmanager
def map_transport_errors() -> Iterator[None]:
    """Translate zeep and requests errors into ``PartnerUnavailable`` / ``PartnerRejected``."""
    try:
        yield
    except zeep.exceptions.Fault as exc:
        code = (exc.code or "").rpartition(":")[2]
        if code == "Client":
            raise PartnerRejected(f"commission refused the message: {exc.message}") from exc
        raise PartnerUnavailable(f"commission fault {code or 'unknown'}") from exc
    except zeep.exceptions.TransportError as exc:
        raise PartnerUnavailable(f"commission answered HTTP {exc.status_code}") from exc
    except (zeep.exceptions.ValidationError, zeep.exceptions.LookupError) as exc:
        # Our record does not fit the commission's WSDL: resending the same one cannot help.
        raise PartnerRejected(f"record does not fit the commission's WSDL: {exc}") from exc
    except (requests.RequestException, zeep.exceptions.XMLSyntaxError, OSError) as exc:
        # Timeouts, refused connections, a truncated or non-XML answer: may pass later.
        raise PartnerUnavailable(f"commission not reachable: {type(exc).__name__}") from exc
