"""SocialTransport's mapping of the centre's answers onto the delivery contract."""

from collections.abc import Callable

import httpx
import pytest
from lxml import etree

import schemas
from adapters.base import OutboundMessage, PartnerError, PartnerRejected, PartnerUnavailable
from adapters.social.transport import SocialTransport
from tests.unit.adapters import golden


def _message() -> OutboundMessage:
    envelope = golden.referral_envelope()
    header = schemas.read_header(envelope)
    return OutboundMessage(
        delivery_id=5,
        recipient="social",
        message_id=header.message_id,
        message_type="FamilyReferral",
        priority="urgent",
        envelope=etree.tostring(envelope),
    )


def _transport(handler: Callable[[httpx.Request], httpx.Response]) -> SocialTransport:
    return SocialTransport(
        "http://centre.test", httpx.Client(transport=httpx.MockTransport(handler))
    )


def test_delivers_the_native_event_with_the_idempotency_headers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"registration_number": "СРЦ-2026/0001"})

    message = _message()
    result = _transport(handler).deliver(message)

    assert result.remote_reference == "СРЦ-2026/0001"
    (request,) = seen
    assert request.url == "http://centre.test/hub/inbox"
    assert request.headers["X-Hub-Message-Id"] == message.message_id
    assert request.headers["Idempotency-Key"] == message.message_id
    assert request.headers["X-Hub-Delivery-Id"] == "5"
    assert httpx.Response(200, content=request.content).json()["event"] == "referral.received"


@pytest.mark.parametrize(
    ("response", "error", "retry_after_s"),
    [
        (httpx.Response(500), PartnerUnavailable, None),
        (httpx.Response(503, headers={"Retry-After": "7"}), PartnerUnavailable, 7.0),
        (
            httpx.Response(429, headers={"Retry-After": "Thu, 01 Jan 1970 00:00:00 GMT"}),
            PartnerUnavailable,
            0.0,
        ),
        (httpx.Response(408), PartnerUnavailable, None),
        (httpx.Response(400), PartnerRejected, None),
        (httpx.Response(422), PartnerRejected, None),
    ],
)
def test_statuses_map_to_unavailable_or_rejected(
    response: httpx.Response, error: type[PartnerError], retry_after_s: float | None
) -> None:
    with pytest.raises(error) as caught:
        _transport(lambda request: response).deliver(_message())

    assert isinstance(caught.value.__cause__, httpx.HTTPStatusError)
    if error is PartnerUnavailable:
        assert isinstance(caught.value, PartnerUnavailable)
        assert caught.value.retry_after_s == retry_after_s


@pytest.mark.parametrize("exc", [httpx.ReadTimeout("slow"), httpx.ConnectError("refused")])
def test_timeouts_and_connection_errors_are_unavailable(exc: httpx.TransportError) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    with pytest.raises(PartnerUnavailable) as caught:
        _transport(handler).deliver(_message())
    assert caught.value.__cause__ is exc


def test_a_message_the_centre_cannot_represent_is_rejected_without_a_request() -> None:
    message = _message()
    broken = OutboundMessage(**{**message.__dict__, "envelope": b"<not-an-envelope/>"})

    with pytest.raises(PartnerRejected):
        _transport(lambda request: pytest.fail("no request expected")).deliver(broken)
