"""Simulators as real servers on loopback, with partner credentials from a tmp dev PKI.

No hub runs here: the simulators' hub URL points at a closed port, so their replies stay
queued (``pending``) in their state, which is what the tests observe.
"""

import base64
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from lxml import etree
from starlette.applications import Starlette

import schemas
from adapters.hub_client import HubClient
from adapters.simulation import SimulatorServer
from schemas import canonical as c
from signing import DevPki, XmlSigner
from tests.unit.adapters.credentials import partner_credentials

#: Nothing listens here (the discard port): every hub call fails at once with a refusal.
NO_HUB = "http://127.0.0.1:9"

#: A simulator's ``create_app(state_dir, hub)``.
CreateApp = Callable[[Path, HubClient], Starlette]
StartSimulator = Callable[[CreateApp, str, Path], SimulatorServer]
P = TypeVar("P", bound=c.Payload)


@pytest.fixture(scope="session")
def dev_pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    pki = DevPki(tmp_path_factory.mktemp("pki"))
    pki.init()
    return pki


@pytest.fixture
def start_simulator(dev_pki: DevPki, tmp_path: Path) -> Iterator[StartSimulator]:
    """Start ``create_app`` for partner ``code`` with ``state_dir``; stopped after the test."""
    running: list[tuple[SimulatorServer, HubClient]] = []

    def start(create_app: CreateApp, code: str, state_dir: Path) -> SimulatorServer:
        credentials = partner_credentials(
            dev_pki, code, f"Организация {code}", tmp_path / f"cred-{code}"
        )
        hub = HubClient(NO_HUB, credentials)
        server = SimulatorServer(create_app(state_dir, hub)).start()
        running.append((server, hub))
        return server

    yield start
    for server, hub in running:
        server.stop()
        hub.close()


class RecordingHub:
    """The hub's API as an ``httpx.MockTransport``: records what partners send, serves an inbox.

    ``sent`` holds each posted (signed) envelope, parsed; ``put(envelope)`` signs an envelope
    with the hub's key and puts it in the inbox until the partner acks it.
    """

    def __init__(self, pki: DevPki) -> None:
        self._signer = XmlSigner(pki.signing_key("hub"))
        self.sent: list[etree._Element] = []
        self._inbox: dict[int, dict[str, object]] = {}
        self.acked: list[int] = []

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
            self.sent.append(envelope)
            message_id = schemas.read_header(envelope).message_id
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


#: A simulator started by ``start_with_hub``, and the hub it talks to.
ServerAndHub = tuple[SimulatorServer, RecordingHub]
StartWithHub = Callable[[CreateApp, str, Path], ServerAndHub]


@pytest.fixture
def start_with_hub(dev_pki: DevPki, tmp_path: Path) -> Iterator[StartWithHub]:
    """Start ``create_app`` for ``code`` with a ``RecordingHub`` as its hub."""
    running: list[tuple[SimulatorServer, HubClient]] = []

    def start(create_app: CreateApp, code: str, state_dir: Path) -> ServerAndHub:
        credentials = partner_credentials(
            dev_pki, code, f"Организация {code}", tmp_path / f"cred-{code}"
        )
        hub = RecordingHub(dev_pki)
        client = HubClient(
            "http://hub.test",
            credentials,
            http=httpx.Client(transport=httpx.MockTransport(hub.handle)),
        )
        server = SimulatorServer(create_app(state_dir, client)).start()
        running.append((server, client))
        return server, hub

    yield start
    for server, client in running:
        server.stop()
        client.close()


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
