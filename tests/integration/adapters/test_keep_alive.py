"""Push transports keep their connections to a partner open across calls and share them
between the worker's threads."""

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import schemas
from adapters.base import OutboundMessage, Transport
from adapters.kdn.transport import KdnTransport
from adapters.kdn.wsdl import SIGNAL_NS, XML_MEDIA_TYPE, soap_envelope
from adapters.simulation import SimulatorServer
from adapters.social.transport import SocialTransport
from tests.unit.adapters import golden

#: Builds a transport to the partner at a server's base URL.
Connect = Callable[[str], Transport]
TRANSPORTS: dict[str, Connect] = {
    "kdn": lambda url: KdnTransport(f"{url}/soap", 5.0),
    "social": lambda url: SocialTransport.connect(url, 5.0),
}


class PeerRecorder:
    """A partner that answers every call and records the client port each came from."""

    def __init__(self) -> None:
        self.ports: list[int] = []

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/soap", self._soap, methods=["POST"]),
                Route("/hub/inbox", self._webhook, methods=["POST"]),
            ]
        )

    def _record(self, request: Request) -> None:
        assert request.client is not None
        self.ports.append(request.client.port)

    async def _soap(self, request: Request) -> Response:
        self._record(request)
        ack = etree.Element(f"{{{SIGNAL_NS}}}SignalAck")
        etree.SubElement(ack, f"{{{SIGNAL_NS}}}RegistrationNumber").text = "КДН-1"
        etree.SubElement(ack, f"{{{SIGNAL_NS}}}Duplicate").text = "false"
        return Response(etree.tostring(soap_envelope(ack)), media_type=XML_MEDIA_TYPE)

    async def _webhook(self, request: Request) -> Response:
        self._record(request)
        return JSONResponse({"registration_number": "СРЦ-1"})


@pytest.fixture
def partner() -> Iterator[tuple[PeerRecorder, str]]:
    recorder = PeerRecorder()
    with SimulatorServer(recorder.app()) as server:
        yield recorder, server.url


def _message(recipient: str) -> OutboundMessage:
    envelope = golden.referral_envelope()
    return OutboundMessage(
        delivery_id=1,
        recipient=recipient,
        message_id=schemas.read_header(envelope).message_id,
        message_type="FamilyReferral",
        priority="routine",
        envelope=etree.tostring(envelope),
    )


@pytest.mark.parametrize("code", sorted(TRANSPORTS))
def test_calls_one_after_another_share_one_connection(
    partner: tuple[PeerRecorder, str], code: str
) -> None:
    recorder, url = partner
    transport = TRANSPORTS[code](url)
    try:
        references = [transport.deliver(_message(code)).remote_reference for _ in range(5)]
    finally:
        transport.close()

    assert None not in references
    assert len(recorder.ports) == 5
    assert len(set(recorder.ports)) == 1


@pytest.mark.parametrize("code", sorted(TRANSPORTS))
def test_threads_share_the_transports_pool(partner: tuple[PeerRecorder, str], code: str) -> None:
    recorder, url = partner
    transport = TRANSPORTS[code](url)
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(lambda _: transport.deliver(_message(code)), range(40)))
    finally:
        transport.close()

    assert all(result.remote_reference for result in results)
    assert len(recorder.ports) == 40
    # At most one connection per thread, kept and reused rather than one per call.
    assert len(set(recorder.ports)) <= 4
