"""InboxPuller: a message is acked only once the police system has stored it."""

import base64
from pathlib import Path

import httpx
import pytest

from adapters.hub_client import HubClient, InboxItem
from adapters.police.transport import InboxPuller
from signing import DevPki, XmlSigner
from tests.unit.adapters import golden


def _hub(credentials: Path, dev_pki: DevPki, acked: list[str]) -> HubClient:
    signed = XmlSigner(dev_pki.signing_key("hub")).sign(golden.referral_envelope())
    item = {
        "delivery_id": 7,
        "message_id": "m",
        "message_type": "FamilyReferral",
        "envelope": base64.b64encode(signed).decode(),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"messages": [item]})
        acked.append(request.url.path)
        return httpx.Response(200, json={})

    return HubClient(
        "http://hub.test", credentials, http=httpx.Client(transport=httpx.MockTransport(handler))
    )


def test_a_stored_message_is_acked(police_credentials: Path, dev_pki: DevPki) -> None:
    acked: list[str] = []
    stored: list[InboxItem] = []

    count = InboxPuller(_hub(police_credentials, dev_pki, acked), stored.append).pull_once()

    assert count == 1
    assert [item.delivery_id for item in stored] == [7]
    assert acked == ["/api/v1/inbox/7/ack"]


def test_a_message_that_could_not_be_stored_is_not_acked(
    police_credentials: Path, dev_pki: DevPki, caplog: pytest.LogCaptureFixture
) -> None:
    acked: list[str] = []

    def store(item: InboxItem) -> None:
        raise OSError("disk full")

    count = InboxPuller(_hub(police_credentials, dev_pki, acked), store).pull_once()

    assert (count, acked) == (0, [])
    assert "delivery 7" in caplog.text
