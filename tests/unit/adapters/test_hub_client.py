"""HubClient: signing, problem+json mapping and inbox verification, against httpx.MockTransport."""

import base64
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from adapters.hub_client import HubClient, HubRefused, HubUnreachable
from schemas import parse_xml
from signing import DevPki, XmlSigner, XmlVerifier
from tests.unit.adapters import golden

PROBLEM = "application/problem+json"


def _client(credentials: Path, handler: Callable[[httpx.Request], httpx.Response]) -> HubClient:
    return HubClient(
        "http://hub.test/", credentials, http=httpx.Client(transport=httpx.MockTransport(handler))
    )


def _problem(status: int, code: str) -> httpx.Response:
    body = {
        "type": f"urn:family-hub:problem:{code}",
        "title": "t",
        "status": status,
        "detail": "why",
        "code": code,
    }
    return httpx.Response(status, content=json.dumps(body), headers={"Content-Type": PROBLEM})


def test_send_signs_with_the_partner_key_and_reads_the_receipt(
    police_credentials: Path, dev_pki: DevPki
) -> None:
    posted: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        posted.append(request)
        return httpx.Response(
            202,
            json={
                "message_id": "m",
                "hub_id": 17,
                "deliveries": [{"recipient": "social", "status": "pending"}],
            },
        )

    with _client(police_credentials, handler) as client:
        receipt = client.send(golden.referral_envelope())

    assert (receipt.hub_id, receipt.duplicate) == (17, False)
    assert [(d.recipient, d.status) for d in receipt.deliveries] == [("social", "pending")]
    (request,) = posted
    assert request.url == "http://hub.test/api/v1/messages"
    assert request.headers["Authorization"] == "Bearer test-key-police"
    assert request.headers["Content-Type"] == "application/xml"
    verified = XmlVerifier(dev_pki.trust_store()).verify(
        parse_xml(request.content), expected_sender="police"
    )
    assert verified.signer.system_code == "police"


def test_a_duplicate_is_a_success_for_an_idempotent_resend(police_credentials: Path) -> None:
    with _client(police_credentials, lambda r: _problem(409, "replay.duplicate")) as client:
        receipt = client.send(golden.referral_envelope())
    assert receipt.duplicate
    assert receipt.message_id == golden.referral_envelope().findtext("{*}Header/{*}MessageId")


@pytest.mark.parametrize(
    ("status", "code"), [(400, "schema.payload_invalid"), (403, "signature.signer_not_sender")]
)
def test_a_problem_becomes_hub_refused_with_its_code(
    police_credentials: Path, status: int, code: str
) -> None:
    with (
        _client(police_credentials, lambda r: _problem(status, code)) as client,
        pytest.raises(HubRefused) as caught,
    ):
        client.send(golden.referral_envelope())
    assert (caught.value.code, caught.value.status, caught.value.detail) == (code, status, "why")


def test_a_refusal_without_problem_json_still_has_a_code(police_credentials: Path) -> None:
    with (
        _client(police_credentials, lambda r: httpx.Response(404, text="nope")) as client,
        pytest.raises(HubRefused) as caught,
    ):
        client.ack(5)
    assert caught.value.code == "http.404"


@pytest.mark.parametrize(
    "answer",
    [
        lambda r: httpx.Response(503),
        lambda r: _problem(429, "limits.rate"),
        httpx.ConnectError("down"),
    ],
)
def test_outages_become_hub_unreachable(
    police_credentials: Path, answer: Callable[[httpx.Request], httpx.Response] | Exception
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer(request)

    with _client(police_credentials, handler) as client, pytest.raises(HubUnreachable):
        client.poll_inbox(5)


def test_inbox_items_are_verified_against_the_hub_ca(
    police_credentials: Path, dev_pki: DevPki
) -> None:
    hub_signed = XmlSigner(dev_pki.signing_key("hub")).sign(golden.referral_envelope())
    police_signed = XmlSigner(dev_pki.signing_key("police")).sign(golden.referral_envelope())
    tampered = hub_signed.replace("Ленина".encode(), "Мира".encode())
    items = [
        {
            "delivery_id": 1,
            "message_id": "a",
            "message_type": "FamilyReferral",
            "envelope": base64.b64encode(hub_signed).decode(),
        },
        {
            "delivery_id": 2,
            "message_id": "b",
            "message_type": "FamilyReferral",
            "envelope": base64.b64encode(police_signed).decode(),
        },
        {
            "delivery_id": 3,
            "message_id": "c",
            "message_type": "FamilyReferral",
            "envelope": base64.b64encode(tampered).decode(),
        },
        {"delivery_id": 4, "message_id": "d", "message_type": "FamilyReferral", "envelope": "%%%"},
    ]

    with _client(
        police_credentials, lambda r: httpx.Response(200, json={"messages": items})
    ) as client:
        got = client.poll_inbox(10)

    assert got[0].envelope is not None
    assert got[0].problem is None
    assert [item.problem for item in got[1:]] == [
        "signature.signer_not_sender",
        "signature.digest_mismatch",
        "envelope missing or not base64: Error",
    ]
