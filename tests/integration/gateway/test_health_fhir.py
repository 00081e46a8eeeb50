"""The health system through its gateway: FHIR R4 in, an OperationOutcome (or a batch-response
Bundle) with the hub's code out."""

import json
from typing import Any

import httpx
import pytest

from adapters.gateway.health import CODE_SYSTEM
from adapters.health.translate import message_id_for
from tests.integration.gateway.conftest import Gateways
from tests.unit.adapters import golden

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _code(outcome: dict[str, Any]) -> str:
    assert outcome["resourceType"] == "OperationOutcome"
    (coding,) = outcome["issue"][0]["details"]["coding"]
    assert coding["system"] == CODE_SYSTEM
    return str(coding["code"])


def test_a_service_request_is_accepted_by_the_hub(gateways: Gateways) -> None:
    _, health = gateways.start(gateways.options("health"))
    referral = golden.native("health", "referral")

    answer = httpx.post(f"{health.url}/ServiceRequest", json=referral, timeout=30)

    assert answer.status_code == 201, answer.text
    assert answer.headers["content-type"].startswith("application/fhir+json")
    assert _code(answer.json()) == "accepted"
    text = json.loads(answer.json()["issue"][0]["details"]["text"])
    assert text["message_id"] == message_id_for(referral["identifier"][0]["value"])
    assert "social" in text["recipients"]


def test_an_invalid_resource_is_refused_with_its_fhirpath(gateways: Gateways) -> None:
    _, health = gateways.start(gateways.options("health"))
    referral = golden.native("health", "referral")
    referral["priority"] = "whenever"

    answer = httpx.post(f"{health.url}/ServiceRequest", json=referral, timeout=30)

    assert answer.status_code == 422
    assert _code(answer.json()) == "payload.invalid"
    assert answer.json()["issue"][0]["expression"] == ["ServiceRequest.priority"]


def test_a_batch_answers_each_entry_in_a_batch_response(gateways: Gateways) -> None:
    _, health = gateways.start(gateways.options("health"))
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {
                "fullUrl": "urn:uuid:5c1f8e0a-1111-4c3e-9a57-000000000001",
                "resource": golden.native("health", "referral"),
                "request": {"method": "POST", "url": "ServiceRequest"},
            },
            {
                # An answer to a request the hub never saw: the hub refuses it.
                "fullUrl": "urn:uuid:5c1f8e0a-1111-4c3e-9a57-000000000002",
                "resource": golden.native("health", "information_response"),
                "request": {"method": "POST", "url": "Communication"},
            },
            {
                "fullUrl": "urn:uuid:5c1f8e0a-1111-4c3e-9a57-000000000003",
                "resource": golden.native("health", "referral"),
                "request": {"method": "POST", "url": "Task"},
            },
        ],
    }

    answer = httpx.post(f"{health.url}/", json=bundle, timeout=60)

    assert answer.status_code == 200, answer.text
    response = answer.json()
    assert response["resourceType"] == "Bundle"
    assert response["type"] == "batch-response"
    statuses = [e["response"]["status"] for e in response["entry"]]
    codes = [_code(e["response"]["outcome"]) for e in response["entry"]]
    assert statuses == ["201 Created", "422 Unprocessable Entity", "422 Unprocessable Entity"]
    assert codes == ["accepted", "routing.unknown_correlation", "payload.invalid"]


def test_a_bundle_that_is_not_a_batch_is_refused(gateways: Gateways) -> None:
    _, health = gateways.start(gateways.options("health"))

    answer = httpx.post(
        f"{health.url}/", json={"resourceType": "Bundle", "type": "transaction"}, timeout=30
    )

    assert answer.status_code == 422
    assert _code(answer.json()) == "payload.invalid"
    assert answer.json()["issue"][0]["expression"] == ["Bundle.type"]
