"""HealthTransport's requests and its mapping of FHIR answers onto the delivery contract."""

import json
from collections.abc import Callable

import httpx
import pytest
from lxml import etree

import schemas
from adapters.base import OutboundMessage, PartnerError, PartnerRejected, PartnerUnavailable
from adapters.health.fhir import operation_outcome
from adapters.health.transport import HealthTransport
from tests.unit.adapters.health import cases


def _message(sample: str = "ActionAssignment-1.0", delivery_id: int = 5) -> OutboundMessage:
    envelope = cases.sample(sample)
    header = schemas.read_header(envelope)
    return OutboundMessage(
        delivery_id=delivery_id,
        recipient="health",
        message_id=header.message_id,
        message_type=header.message_type,
        priority="routine",
        envelope=etree.tostring(envelope),
    )


def _transport(handler: Callable[[httpx.Request], httpx.Response]) -> HealthTransport:
    return HealthTransport(
        "http://fhir.test/", httpx.Client(transport=httpx.MockTransport(handler))
    )


def test_a_single_resource_is_created_at_its_type_with_the_idempotency_headers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"resourceType": "Task", "id": "41"})

    message = _message()
    result = _transport(handler).deliver(message)

    assert result.remote_reference == "Task/41"
    (request,) = seen
    assert request.url == "http://fhir.test/fhir/Task"
    assert request.headers["Content-Type"] == "application/fhir+json"
    assert request.headers["X-Hub-Message-Id"] == message.message_id
    assert request.headers["Idempotency-Key"] == message.message_id
    assert request.headers["X-Hub-Delivery-Id"] == "5"
    assert json.loads(request.content) == cases.native("action_assignment")


def test_a_support_plan_bundle_is_posted_to_the_base_and_referenced_by_its_location() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, headers={"Location": "http://fhir.test/fhir/Bundle/9/_history/1"}
        )

    result = _transport(handler).deliver(_message("SupportPlan-1.0"))

    assert seen[0].url == "http://fhir.test/fhir"
    assert json.loads(seen[0].content)["type"] == "transaction"
    assert result.remote_reference == "Bundle/9"


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
        (httpx.Response(404), PartnerRejected, None),
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


def test_a_refusal_names_the_operation_outcome_issues_but_not_their_diagnostics() -> None:
    outcome = operation_outcome("Task.owner.reference", "Иванова: not a contained resource")

    with pytest.raises(PartnerRejected) as caught:
        _transport(lambda request: httpx.Response(422, json=outcome)).deliver(_message())

    assert str(caught.value) == (
        "health system refused the message: 422 (invalid at Task.owner.reference)"
    )


@pytest.mark.parametrize("exc", [httpx.ReadTimeout("slow"), httpx.ConnectError("refused")])
def test_timeouts_and_connection_errors_are_unavailable(exc: httpx.TransportError) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    with pytest.raises(PartnerUnavailable) as caught:
        _transport(handler).deliver(_message())
    assert caught.value.__cause__ is exc


@pytest.mark.parametrize("envelope", [b"<not-an-envelope/>", None])
def test_a_message_without_a_fhir_form_is_rejected_without_a_request(
    envelope: bytes | None,
) -> None:
    message = _message("SurveyAct-1.0")
    if envelope is not None:
        message = OutboundMessage(**{**message.__dict__, "envelope": envelope})

    with pytest.raises(PartnerRejected):
        _transport(lambda request: pytest.fail("no request expected")).deliver(message)
