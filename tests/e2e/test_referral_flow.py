"""The first real path, end to end: police → hub → social centre and commission → back to police.

Real uvicorn servers, a dramatiq worker on the machine's Redis, SQLite and PostgreSQL,
the three simulators over their own transports (REST, SOAP, pull inbox).
"""

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from adapters.police import translate as police_translate
from hub.runtime import utc_now
from hub.store import DeliveryStatus, MessageLog, OutboxDelivery, Rejection
from signing import DevPki
from tests.factories import make_envelope
from tests.stack import RunningHub, fast_settings, running_hub
from tooling.demo.families import police_records

#: How long the whole flow may take to settle, in seconds.
DEADLINE_S = 30.0


@pytest.fixture
def hub(data_dir: Path, database_url: str, redis_url: str, pki: DevPki) -> Iterator[RunningHub]:
    with running_hub(fast_settings(data_dir, database_url, redis_url), pki) as running:
        yield running


def _received(hub: RunningHub, code: str) -> list[dict[str, str]]:
    items = httpx.get(hub.simulators[code].url + "/state").json()["received"]
    assert isinstance(items, list)
    return items


def _eventually(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {DEADLINE_S} s: {what}")
        time.sleep(0.1)


def test_referral_reaches_both_agencies_and_answers_flow_back(hub: RunningHub) -> None:
    # Given the social centre's system fails the first delivery
    social = hub.simulators["social"].url
    httpx.post(social + "/control/outage", json={"failures": 1, "status": 503}).raise_for_status()
    record = police_records("E2E", utc_now())[1]  # the urgent one

    # When an officer registers the signal in the police system
    answer = httpx.post(hub.simulators["police"].url + "/referrals", json=record, timeout=10)

    # Then the hub accepts it, both agencies get it once, and both answers reach the police
    assert answer.status_code == 202, answer.text
    referral_id = police_translate.message_id_for(str(record["kusp_number"]))
    _eventually(
        lambda: [i["message_id"] for i in _received(hub, "social")] == [referral_id],
        "the social centre holds the referral",
    )
    _eventually(
        lambda: [i["message_id"] for i in _received(hub, "kdn")] == [referral_id],
        "the commission holds the referral",
    )
    _eventually(
        lambda: (
            sorted(
                (i["message_type"], i["sender"], i["correlation_id"])
                for i in _received(hub, "police")
            )
            == [
                ("ActionStatusUpdate", "social", referral_id),
                ("ReferralReceipt", "kdn", referral_id),
                ("ReferralReceipt", "social", referral_id),
            ]
        ),
        "the police holds both receipts and the status update",
    )
    _eventually(lambda: _all_delivered(hub), "every outbox row delivered")
    with hub.runtime.session_factory() as session:
        to_social = session.scalars(
            select(OutboxDelivery).where(OutboxDelivery.recipient == "social")
        ).one()
        outcomes = [a.outcome for a in to_social.attempt_log]
    assert outcomes == ["retry", "delivered"]  # the outage cost one retry, nothing more


def test_a_referral_under_another_senders_message_id_is_refused_and_the_first_kept(
    hub: RunningHub,
) -> None:
    # Given a referral the police registered, accepted and delivered under id X
    record = police_records("E2E", utc_now())[0]
    answer = httpx.post(hub.simulators["police"].url + "/referrals", json=record, timeout=10)
    assert answer.status_code == 202, answer.text
    taken = police_translate.message_id_for(str(record["kusp_number"]))
    _eventually(
        lambda: all(
            [i["message_id"] for i in _received(hub, code)] == [taken] for code in ("social", "kdn")
        ),
        "the social centre and the commission hold the police's referral",
    )

    # When the hospital's system sends its own referral under the same id, over HTTP
    health = hub.client("health")
    try:
        signed = health.sign(make_envelope("FamilyReferral", sender="health", message_id=taken))
    finally:
        health.close()
    refused = httpx.post(
        hub.url + "/api/v1/messages",
        content=signed,
        headers={
            "Authorization": f"Bearer {hub.api_keys['health']}",
            "Content-Type": "application/xml",
        },
        timeout=10,
    )

    # Then it is refused with its own code, naming neither the police nor its hub id
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["code"] == "replay.message_id_taken"
    assert "hub_id" not in problem
    assert "police" not in refused.text
    # And it is recorded, and nothing of it is stored or queued
    _eventually(lambda: _all_delivered(hub), "every outbox row delivered")
    with hub.runtime.session_factory() as session:
        assert session.scalars(
            select(Rejection.code).where(Rejection.claimed_sender == "health")
        ).all() == ["replay.message_id_taken"]
        [logged] = session.scalars(select(MessageLog).where(MessageLog.message_id == taken)).all()
        assert logged.sender == "police"
        copies = session.scalars(
            select(OutboxDelivery).where(OutboxDelivery.message_log_id == logged.id)
        ).all()
        # The police's copies were each delivered once, and the receivers hold them once.
        assert sorted((c.recipient, [a.outcome for a in c.attempt_log]) for c in copies) == [
            ("kdn", ["delivered"]),
            ("social", ["delivered"]),
        ]
    for code in ("social", "kdn"):
        assert [i["message_id"] for i in _received(hub, code)].count(taken) == 1


def _all_delivered(hub: RunningHub) -> bool:
    with hub.runtime.session_factory() as session:
        statuses = set(session.scalars(select(OutboxDelivery.status)))
    return statuses == {DeliveryStatus.DELIVERED}
