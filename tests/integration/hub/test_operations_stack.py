"""Operations on the running hub: a paused partner's inbox and deliveries wait; replays arrive once.

Real parts: the API under uvicorn, a worker on Redis, the partner simulators (which
de-duplicate by MessageId), PostgreSQL or SQLite.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dramatiq.brokers.redis import RedisBroker
from lxml import etree
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from hub.errors import OperationRefused
from hub.operations import Actor, pause_partner, replay_dead_letters, resume_partner
from hub.runtime import utc_now
from hub.store import DeliveryStatus, OutboxDelivery
from queues import LANES
from schemas import read_header
from signing import DevPki
from tests.factories import Signers, make_envelope
from tests.integration.queues.queue_helpers import wait_until
from tests.stack import RunningHub, fast_settings, running_hub

ADMIN = Actor(login="admin", role="administrator")


@pytest.fixture
def stack(data_dir: Path, database_url: str, redis_url: str, pki: DevPki) -> Iterator[RunningHub]:
    """The hub, a worker and the simulators."""
    with running_hub(fast_settings(data_dir, database_url, redis_url), pki) as running:
        yield running


@pytest.fixture
def http(hub_api: RunningHub) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hub_api.url, timeout=10) as client:
        yield client


def _send(url: str, hub: RunningHub, pki: DevPki, envelope: etree._Element, sender: str) -> None:
    response = httpx.post(
        f"{url}/api/v1/messages",
        content=Signers(pki).sign(envelope),
        headers={
            "Content-Type": "application/xml",
            "Authorization": f"Bearer {hub.api_keys[sender]}",
        },
        timeout=10,
    )
    assert response.status_code == 202, response.text


def _row(sessions: sessionmaker[Session], message_id: str, recipient: str) -> OutboxDelivery:
    with sessions() as session:
        return session.execute(
            select(OutboxDelivery)
            .join(OutboxDelivery.message)
            .where(OutboxDelivery.recipient == recipient)
            .where(OutboxDelivery.message.has(message_id=message_id))
        ).scalar_one()


def _received(stack: RunningHub, code: str) -> list[dict[str, Any]]:
    state = httpx.get(f"{stack.simulators[code].url}/state", timeout=10).json()
    received: list[dict[str, Any]] = state["received"]
    return received


def test_a_paused_pull_partner_polls_an_empty_inbox_until_resumed(
    hub_api: RunningHub, http: httpx.Client, pki: DevPki
) -> None:
    # Given the police system paused, and a receipt for it from the social centre
    with hub_api.runtime.session_factory.begin() as session:
        pause_partner(session, "police", actor=ADMIN, reason="migration", now=utc_now())
    referral = make_envelope(sender="police")
    _send(hub_api.url, hub_api, pki, referral, "police")
    referral_id = read_header(referral).message_id
    receipt = make_envelope("ReferralReceipt", sender="social", correlation_id=referral_id)
    _send(hub_api.url, hub_api, pki, receipt, "social")
    police = {"Authorization": f"Bearer {hub_api.api_keys['police']}"}

    # When it polls, it gets nothing
    assert http.get("/api/v1/inbox", headers=police).json()["messages"] == []

    # And once resumed, it gets the receipt
    with hub_api.runtime.session_factory.begin() as session:
        resume_partner(session, "police", actor=ADMIN, reason="done", now=utc_now())
    messages = http.get("/api/v1/inbox", headers=police).json()["messages"]
    assert [m["message_type"] for m in messages] == ["ReferralReceipt"]


def test_pause_holds_a_push_partners_deliveries_and_a_replay_arrives_once(
    stack: RunningHub, pki: DevPki
) -> None:
    sessions = stack.runtime.session_factory
    # Given the social centre paused
    with sessions.begin() as session:
        pause_partner(session, "social", actor=ADMIN, reason="upgrade", now=utc_now())

    # When the police send a referral (to social and kdn)
    referral = make_envelope(sender="police")
    _send(stack.url, stack, pki, referral, "police")
    message_id = read_header(referral).message_id

    # Then kdn has it, and social's copy waits unattempted once the worker has handled
    # every wake (social's found the partner paused and claimed nothing)
    wait_until(
        lambda: _row(sessions, message_id, "kdn").status is DeliveryStatus.DELIVERED,
        what="kdn delivered",
    )
    broker = stack.runtime.broker
    assert isinstance(broker, RedisBroker)
    for lane in LANES:
        broker.join(lane, timeout=20_000)
    waiting = _row(sessions, message_id, "social")
    assert (waiting.status, waiting.attempts) == (DeliveryStatus.PENDING, 0)
    assert _received(stack, "social") == []

    # When social is resumed, the worker's sweeper delivers it
    with sessions.begin() as session:
        resume_partner(session, "social", actor=ADMIN, reason="upgraded", now=utc_now())
    wait_until(
        lambda: _row(sessions, message_id, "social").status is DeliveryStatus.DELIVERED,
        what="social delivered",
    )
    assert [m["message_id"] for m in _received(stack, "social")] == [message_id]

    # Given the hub then believes that delivery failed (its answer was lost, say)
    delivery_id = _row(sessions, message_id, "social").id
    with sessions.begin() as session:
        session.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.id == delivery_id)
            .values(status=DeliveryStatus.DEAD)
        )

    # When it is replayed, and replayed again once delivered
    with sessions.begin() as session:
        replay_dead_letters(session, actor=ADMIN, reason="lost", now=utc_now(), ids=[delivery_id])
    wait_until(
        lambda: _row(sessions, message_id, "social").status is DeliveryStatus.DELIVERED,
        what="replay delivered",
    )
    with pytest.raises(OperationRefused) as refused, sessions.begin() as session:
        replay_dead_letters(session, actor=ADMIN, reason="again", now=utc_now(), ids=[delivery_id])
    assert refused.value.code == "ops.not_dead"

    # Then the centre has the message once: it saw the MessageId again and de-duplicated
    [entry] = _received(stack, "social")
    assert (entry["message_id"], entry["deliveries"]) == (message_id, 2)
    assert _row(sessions, message_id, "social").attempts == 2
