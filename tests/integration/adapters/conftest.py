"""Simulators as real servers on loopback, each behind its real gateway, with partner
credentials from a tmp dev PKI.

``start_simulator``: no gateway runs: the simulator's gateway URL points at a closed port, so
its replies stay queued (``pending``) in its state, which is what those tests observe.
``start_with_hub``: the simulator talks natively to its gateway (``adapters.gateway``), which
signs and posts to a ``RecordingHub`` served on loopback and delivers the hub's inbox into
the simulator (the police lists it from the gateway).
"""

import base64
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import schemas
from adapters.gateway.process import Gateway
from adapters.simulation import GatewayClient, SimulatorServer
from schemas import canonical as c
from signing import DevPki, XmlSigner
from tests.stack import quick_gateway
from tests.unit.adapters.credentials import partner_credentials
from tooling.rig import ReservedPort

#: Nothing listens here (the discard port): every gateway call fails at once.
NO_GATEWAY = "http://127.0.0.1:9"

#: A simulator's ``create_app(state_dir, gateway)``.
CreateApp = Callable[[Path, GatewayClient], Starlette]
StartSimulator = Callable[[CreateApp, str, Path], SimulatorServer]
P = TypeVar("P", bound=c.Payload)


@pytest.fixture(scope="session")
def dev_pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    pki = DevPki(tmp_path_factory.mktemp("pki"))
    pki.init()
    return pki


@pytest.fixture
def start_simulator(dev_pki: DevPki, tmp_path: Path) -> Iterator[StartSimulator]:
    """Start ``create_app`` for partner ``code`` with ``state_dir``, its gateway unreachable;
    stopped after the test."""
    running: list[tuple[SimulatorServer, GatewayClient]] = []

    def start(create_app: CreateApp, _code: str, state_dir: Path) -> SimulatorServer:
        gateway = GatewayClient(NO_GATEWAY)
        server = SimulatorServer(create_app(state_dir, gateway)).start()
        running.append((server, gateway))
        return server

    yield start
    for server, gateway in running:
        server.stop()
        gateway.close()


class RecordingHub:
    """The hub's API as an ``httpx.MockTransport``: records what partners send, serves an inbox.

    ``sent`` holds each posted (signed) envelope, parsed, once per MessageId;
    ``put(envelope)`` signs an envelope with the hub's key and puts it in the inbox until the
    partner acks it.
    """

    def __init__(self, pki: DevPki) -> None:
        self._signer = XmlSigner(pki.signing_key("hub"))
        self.sent: list[etree._Element] = []
        self._inbox: dict[int, dict[str, object]] = {}
        self.acked: list[int] = []
        #: Message type → the problem code the hub refuses it with (as its routing would).
        self.refusing: dict[str, str] = {}

    def put(self, envelope: etree._Element) -> None:
        header = schemas.read_header(envelope)
        delivery_id = len(self._inbox) + 1
        self._inbox[delivery_id] = {
            "delivery_id": delivery_id,
            "message_id": header.message_id,
            "message_type": header.message_type,
            "envelope": base64.b64encode(self._signer.sign(envelope)).decode("ascii"),
        }

    def sent_of(self, message_type: str) -> list[schemas.EnvelopeHeader]:
        """The headers of the sent messages of ``message_type``, in order."""
        headers = [schemas.read_header(e) for e in self.sent]
        return [h for h in headers if h.message_type == message_type]

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path == "/api/v1/messages":
            envelope = schemas.parse_xml(request.content)
            header = schemas.read_header(envelope)
            message_id = header.message_id
            if header.message_type in self.refusing:
                code = self.refusing[header.message_type]
                return httpx.Response(403, json={"code": code, "detail": "refused"})
            if message_id in {schemas.read_header(e).message_id for e in self.sent}:
                # As the hub does: a resend (the gateway's retry after a lost answer) is a
                # duplicate, kept once.
                return httpx.Response(409, json={"code": "replay.duplicate", "detail": "seen"})
            self.sent.append(envelope)
            return httpx.Response(
                202, json={"message_id": message_id, "hub_id": len(self.sent), "deliveries": []}
            )
        if request.method == "GET" and path == "/api/v1/inbox":
            waiting = [m for i, m in self._inbox.items() if i not in self.acked]
            return httpx.Response(200, json={"messages": waiting})
        if request.method == "POST" and path.startswith("/api/v1/inbox/"):
            self.acked.append(int(path.split("/")[4]))
            return httpx.Response(200, json={})
        return httpx.Response(404, json={"code": "http.404", "detail": path})

    def app(self) -> Starlette:
        """``handle`` as a web app, for a gateway to reach over HTTP."""

        async def endpoint(request: Request) -> Response:
            answer = self.handle(
                httpx.Request(request.method, str(request.url), content=await request.body())
            )
            return Response(
                answer.content, answer.status_code, media_type=answer.headers["content-type"]
            )

        return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST"])])


#: A simulator started by ``start_with_hub``, and the hub it talks to.
ServerAndHub = tuple[SimulatorServer, RecordingHub]
StartWithHub = Callable[[CreateApp, str, Path], ServerAndHub]


@pytest.fixture
def start_with_hub(dev_pki: DevPki, tmp_path: Path) -> Iterator[StartWithHub]:
    """Start ``create_app`` for ``code`` behind its gateway, with a ``RecordingHub`` as the
    gateway's hub; all stopped after the test."""
    with ExitStack() as cleanup:

        def start(create_app: CreateApp, code: str, state_dir: Path) -> ServerAndHub:
            credentials = partner_credentials(
                dev_pki, code, f"Организация {code}", tmp_path / f"cred-{code}"
            )
            hub = RecordingHub(dev_pki)
            hub_server = cleanup.enter_context(SimulatorServer(hub.app()))
            port = cleanup.enter_context(ReservedPort())
            gateway = Gateway(
                quick_gateway(
                    code,
                    hub_url=hub_server.url,
                    bundle=credentials,
                    system=port.url + SYSTEM_PATHS.get(code, ""),
                    spool=tmp_path / f"gateway-{code}" / "spool.sqlite",
                )
            )
            cleanup.callback(gateway.close)
            gateway_server = cleanup.enter_context(SimulatorServer(gateway.app))
            client = GatewayClient(gateway_server.url)
            cleanup.callback(client.close)
            server = SimulatorServer(create_app(state_dir, client), port=port.port)
            return cleanup.enter_context(server), hub

        yield start


#: Where a simulator's system endpoint is below its URL (as the hub's registry has it).
SYSTEM_PATHS = {"kdn": "/soap"}


def payload_as(message: c.CanonicalMessage, kind: type[P]) -> P:
    """``message``'s payload, which the test expects to be a ``kind``."""
    assert isinstance(message.payload, kind), message.header.message_type
    return message.payload


def wait_for(condition: Callable[[], object], *, timeout_s: float = 30.0) -> None:
    """Poll ``condition`` until it is true, or fail after ``timeout_s`` (no fixed sleeps);
    generous, since a loaded machine may keep a simulator's loop waiting for a core."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        time.sleep(0.02)
