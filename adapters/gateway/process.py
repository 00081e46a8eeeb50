"""The gateway as one process: the partner system's native app, the sender and the inbox relay.

``Gateway`` assembles the parts for one partner system from its bundle (what ``hub partners
add`` writes: ``key.pem``, ``cert.pem``, ``ca.pem``, ``api_key``): the spool, a hub client
that signs with the partner's key and verifies the hub's copies against the CA, the native
routes of that system, a loop that sends what waits in the spool, and a loop that pulls the
hub inbox into the system (``--system`` is its endpoint, as the hub's push transport would
use it). ``run_gateway`` serves it until SIGINT/SIGTERM (``hub gateway run``).

``GET /gateway/status`` answers the spool's status as JSON, for the partner's monitoring.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.base import Transport
from adapters.gateway import education, employment, health, kdn, police, social
from adapters.gateway.inbox import InboxRelay
from adapters.gateway.intake import Intake
from adapters.gateway.sender import Backoff, Sender
from adapters.gateway.spool import Spool, SpoolStatus
from adapters.hub_client import HubClient
from adapters.registry import get_adapter
from adapters.simulation import BackgroundLoop, lifespan_of

__all__ = [
    "FOLDER_WATCHES",
    "NATIVE_ROUTES",
    "Gateway",
    "GatewayOptions",
    "run_gateway",
    "status_record",
]


#: Each partner system's native routes, built on the gateway's intake.
NATIVE_ROUTES: Mapping[str, Callable[[Intake], list[Route]]] = MappingProxyType(
    {
        "police": police.routes,
        "social": social.routes,
        "kdn": kdn.routes,
        "health": health.routes,
        "employment": employment.routes,
        # The school speaks files, not HTTP: its side is the folder watch below.
        "education": lambda _intake: [],
    }
)
#: The partner systems that hand over files in a folder: the loop that watches it.
FOLDER_WATCHES: Mapping[str, Callable[[Intake, str, float], BackgroundLoop]] = MappingProxyType(
    {"education": education.folder_watch}
)


@dataclass(frozen=True)
class GatewayOptions:
    """What ``hub gateway run`` takes."""

    code: str
    hub_url: str
    bundle: Path
    system_url: str
    spool: Path
    #: The agency of an organisation's gateway (``edu-school-12`` of ``education``), whose
    #: native interface and transport it runs; None when ``code`` is an agency's own.
    agency: str | None = None
    host: str = "127.0.0.1"
    port: int = 0
    #: Backoff of resends while the hub is unreachable, in seconds.
    min_backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    #: How often the spool is looked at for due messages, and the inbox polled.
    send_interval_s: float = 0.2
    poll_interval_s: float = 0.5
    #: How long one native delivery into the partner system may take.
    system_timeout_s: float = 10.0


class Gateway:
    """The parts of one partner's gateway; ``app`` serves them (its loops run while it serves).

    Raises:
        KeyError: no native interface for ``options.code`` (``UnknownAdapter``), or the
            bundle is of another partner.
        OSError, ValueError: the bundle cannot be read.
        SpoolUnavailable: the spool cannot be opened.
    """

    def __init__(self, options: GatewayOptions) -> None:
        native = options.agency or options.code
        if native not in NATIVE_ROUTES:
            raise KeyError(f"no gateway for partner system {native!r}")
        self.options = options
        self.hub = HubClient(options.hub_url, options.bundle)
        if self.hub.system_code != options.code:
            self.hub.close()
            raise KeyError(f"the bundle is of {self.hub.system_code!r}, not {options.code!r}")
        self.spool = Spool(options.spool)
        self.sender = Sender(
            self.spool, self.hub, Backoff(options.min_backoff_s, options.max_backoff_s)
        )
        self.intake = Intake(self.spool, self.sender, self.hub)
        self._transport = _transport_of(options)
        loops = [
            BackgroundLoop(f"{options.code}-sender", self.sender.send_due, options.send_interval_s)
        ]
        if native in FOLDER_WATCHES:
            watch = FOLDER_WATCHES[native]
            loops.append(watch(self.intake, options.system_url, options.poll_interval_s))
        if self._transport is not None:
            relay = InboxRelay(self.hub, self._transport, self.spool)
            loops.append(
                BackgroundLoop(f"{options.code}-inbox", relay.pull_once, options.poll_interval_s)
            )
        self.app = Starlette(
            routes=[
                *NATIVE_ROUTES[native](self.intake),
                Route("/gateway/status", self._status, methods=["GET"]),
            ],
            lifespan=lifespan_of(loops),
        )

    def close(self) -> None:
        """Release the hub client, the transport and the spool (after the app stopped)."""
        self.hub.close()
        if self._transport is not None:
            self._transport.close()
        self.spool.close()

    async def _status(self, _request: Request) -> Response:
        return JSONResponse(status_record(self.spool.status()))


def status_record(status: SpoolStatus) -> dict[str, object]:
    """The spool's status as JSON (``GET /gateway/status``, ``hub gateway status --json``)."""
    oldest = status.oldest_waiting
    return {
        "outgoing": status.outgoing,
        "incoming": status.incoming,
        "oldest_waiting": None
        if oldest is None
        else {
            "gateway_id": oldest.gateway_id,
            "message_id": oldest.message_id,
            "message_type": oldest.message_type,
            "created_at": oldest.created_at,
            "attempts": oldest.attempts,
        },
        "last_error": status.last_error,
        "last_error_at": status.last_error_at,
    }


def _transport_of(options: GatewayOptions) -> Transport | None:
    """The adapter's push transport aimed at the partner system; ``None`` for a partner whose
    system pulls (the police: its native side lists the hub inbox to it)."""
    make = get_adapter(options.agency or options.code).make_transport
    if make is None:
        return None
    return make(options.system_url, options.system_timeout_s)


def run_gateway(options: GatewayOptions) -> None:
    """Serve the gateway on ``options.host:options.port`` until SIGINT/SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    gateway = Gateway(options)
    try:
        uvicorn.run(gateway.app, host=options.host, port=options.port, log_level="warning")
    finally:
        gateway.close()
