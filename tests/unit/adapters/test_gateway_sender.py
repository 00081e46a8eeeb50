"""The gateway's spool and sender against a scripted hub (``httpx.MockTransport``): the
spool's states and order, the backoff, and what each hub answer does to a message."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from adapters.gateway.sender import Backoff, Sender
from adapters.gateway.spool import OutgoingState, Spool
from adapters.hub_client import HubClient


class ScriptedHub:
    """Answers each post with the next status of ``script`` (202 once it runs out)."""

    def __init__(self, *script: int) -> None:
        self.script = list(script)
        self.posted: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.posted.append(request.content.decode())
        status = self.script.pop(0) if self.script else 202
        if status == 202:
            return httpx.Response(
                202,
                json={
                    "hub_id": len(self.posted),
                    "deliveries": [{"recipient": "social", "status": "pending"}],
                },
            )
        code = {409: "replay.duplicate", 422: "payload.invalid"}.get(status, "http")
        return httpx.Response(status, json={"code": code, "detail": "d", "hub_id": 7})


@pytest.fixture
def spool(tmp_path: Path) -> Iterator[Spool]:
    spool = Spool(tmp_path / "spool.sqlite")
    yield spool
    spool.close()


def _sender(spool: Spool, hub: ScriptedHub, credentials: Path, now: list[float]) -> Sender:
    client = HubClient(
        "http://hub.test", credentials, http=httpx.Client(transport=httpx.MockTransport(hub.handle))
    )
    return Sender(spool, client, Backoff(1.0, 4.0), clock=lambda: now[0])


def test_the_same_message_id_is_spooled_once(spool: Spool) -> None:
    first, created = spool.put("m-1", "FamilyReferral", b"<a/>", now=1.0)
    again, created_again = spool.put("m-1", "FamilyReferral", b"<b/>", now=2.0)

    assert (created, created_again) == (True, False)
    assert again == first
    assert again.signed == b"<a/>"


def test_backoff_doubles_up_to_its_limit() -> None:
    assert [Backoff(1.0, 4.0).delay_s(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 4.0, 4.0]


def test_the_loop_stops_at_the_first_unreachable_attempt_and_waits_its_backoff(
    spool: Spool, police_credentials: Path
) -> None:
    hub = ScriptedHub(503)
    now = [100.0]
    sender = _sender(spool, hub, police_credentials, now)
    spool.put("m-1", "FamilyReferral", b"<one/>", now=now[0])
    spool.put("m-2", "FamilyReferral", b"<two/>", now=now[0])

    assert sender.send_due() == 0
    assert hub.posted == ["<one/>"]  # the second waits behind the first
    assert sender.send_due() == 0  # not due before its backoff
    assert len(hub.posted) == 1
    now[0] += 1.0

    assert sender.send_due() == 2
    assert hub.posted == ["<one/>", "<one/>", "<two/>"]
    status = spool.status()
    assert status.outgoing == {"waiting": 0, "sent": 2, "refused": 0}
    assert status.last_error == "hub answered 503"


def test_a_duplicate_is_sent_with_the_hubs_id_and_a_refusal_keeps_its_code(
    spool: Spool, police_credentials: Path
) -> None:
    hub = ScriptedHub(409, 422)
    sender = _sender(spool, hub, police_credentials, [1.0])
    duplicate, _ = spool.put("m-1", "FamilyReferral", b"<one/>", now=1.0)
    refused, _ = spool.put("m-2", "FamilyReferral", b"<two/>", now=1.0)

    assert sender.send_due() == 1

    taken = spool.get(duplicate.gateway_id)
    assert (taken.state, taken.duplicate, taken.hub_id) == (OutgoingState.SENT, True, 7)
    kept = spool.get(refused.gateway_id)
    assert (kept.state, kept.code) == (OutgoingState.REFUSED, "payload.invalid")
    assert sender.send_due() == 0
    assert len(hub.posted) == 2  # a refused message is never sent again


def test_a_new_message_waits_behind_an_older_one_instead_of_overtaking_it(
    spool: Spool, police_credentials: Path
) -> None:
    hub = ScriptedHub(503)
    now = [100.0]
    sender = _sender(spool, hub, police_credentials, now)
    older, _ = spool.put("m-1", "FamilyReferral", b"<one/>", now=now[0])
    assert sender.send_now(older).state is OutgoingState.WAITING

    newer, _ = spool.put("m-2", "ReferralReceipt", b"<two/>", now=now[0])

    assert sender.send_now(newer).state is OutgoingState.WAITING
    assert hub.posted == ["<one/>"]
    now[0] += 1.0
    assert sender.send_due() == 2
    assert hub.posted == ["<one/>", "<one/>", "<two/>"]
