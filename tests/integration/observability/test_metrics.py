"""/metrics on a real server: the numbers match what was accepted, refused, delivered and queued."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from adapters.simulation import SimulatorServer
from hub.app import create_app
from hub.config import Settings
from hub.errors import Rejection
from hub.runtime import build_runtime
from hub.store import (
    DeliveryAttempt,
    DeliveryMode,
    DeliveryStatus,
    HubNotice,
    MessageLog,
    OutboxDelivery,
    WorkerHeartbeat,
    late_delivery_notice_key,
)
from queues import EmbeddedRedis
from signing import DevPki
from tests.factories import Signers, make_envelope
from tests.stack import RunningHub, fast_settings, running_hub

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
#: What Prometheus presents (``HUB_METRICS_TOKEN``).
TOKEN = "scrape-token-0123456789"


def _scrape(http: httpx.Client) -> Samples:
    answer = http.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


@pytest.fixture
def hub_api(data_dir: Path, database_url: str, pki: DevPki) -> Iterator[RunningHub]:
    """The API on a real server over a Redis of its own: queue depths count only this test's
    messages, and no other test run can flush them mid-test."""
    with (
        EmbeddedRedis(data_dir) as redis_server,
        running_hub(
            fast_settings(data_dir, database_url, redis_server.url).model_copy(
                update={"metrics_token": TOKEN}
            ),
            pki,
            worker=False,
            simulators=False,
        ) as running,
    ):
        yield running


@pytest.fixture
def http(hub_api: RunningHub) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=hub_api.url, timeout=10, headers={"Authorization": f"Bearer {TOKEN}"}
    ) as client:
        yield client


def test_metrics_report_the_database_and_the_queue(
    hub_api: RunningHub, http: httpx.Client, pki: DevPki
) -> None:
    # Given two routine and one urgent referral accepted (queued on Redis, no worker
    # running), and one message refused
    signers = Signers(pki)
    ingestor = hub_api.runtime.ingestor
    receipts = [
        ingestor.ingest(signers.sign(make_envelope(priority=priority)), authenticated=None)
        for priority in ("routine", "routine", "urgent")
    ]
    with pytest.raises(Rejection) as refused:
        ingestor.ingest(b"<not-xml", authenticated=None)

    # …one row delivered just now, 2 s after acceptance, one dead after a retried attempt,
    # both past their time to deliver with their sender told, and one worker that reported
    # just now
    sessions = hub_api.runtime.session_factory
    now = datetime.now(UTC)
    with sessions.begin() as session:
        first = session.get_one(MessageLog, receipts[0].hub_id)
        delivered, dead = first.deliveries[0], receipts[1].deliveries[0]
        delivered.status = DeliveryStatus.DELIVERED
        first.received_at = now - timedelta(seconds=2)
        delivered.delivered_at = now
        dead_row = session.get_one(OutboxDelivery, dead.delivery_id)
        dead_row.status = DeliveryStatus.DEAD
        session.add(
            DeliveryAttempt(
                delivery_id=dead.delivery_id,
                number=1,
                started_at=now,
                finished_at=now,
                outcome="retry",
                error="PartnerUnavailable: 503",
            )
        )
        for row in (session.get_one(OutboxDelivery, delivered.id), dead_row):
            row.late_at = now
            session.add(
                HubNotice(notice_key=late_delivery_notice_key(row.id), message_log_id=first.id)
            )
        session.add(
            WorkerHeartbeat(worker_id="h:1:a", hostname="h", pid=1, started_at=now, seen_at=now)
        )
        # Each message was committed alone, so it woke each of its push partners' lanes once
        woken = (
            select(OutboxDelivery.message_log_id, OutboxDelivery.recipient, OutboxDelivery.priority)
            .where(OutboxDelivery.mode == DeliveryMode.PUSH)
            .distinct()
            .subquery()
        )
        wakes_by_priority: dict[str, int] = dict(
            session.execute(select(woken.c.priority, func.count()).group_by(woken.c.priority)).all()
        )
        rows = session.scalar(select(func.count()).select_from(OutboxDelivery))

    # When Prometheus scrapes the API
    samples = _scrape(http)

    # Then every figure is there, read from the database and the broker
    assert _value(samples, "hub_messages_accepted_total", type="FamilyReferral") == 3
    assert _value(samples, "hub_messages_rejected_total", code=refused.value.code) == 1
    assert _value(samples, "hub_deliveries_delivered_total") == 1
    assert _value(samples, "hub_delivery_retries_total") == 1
    assert _value(samples, "hub_deliveries_dead") == 1
    assert _value(samples, "hub_deliveries", status="delivered", partner=delivered.recipient) == 1
    assert _value(samples, "hub_deliveries", status="dead", partner=dead.recipient) == 1
    assert sum(v for (name, _), v in samples.items() if name == "hub_deliveries") == rows
    assert _value(samples, "hub_queue_depth", lane="urgent") == wakes_by_priority["urgent"]
    assert _value(samples, "hub_queue_depth", lane="routine") == wakes_by_priority["routine"]
    assert _value(samples, "hub_workers_alive") == 1
    assert _value(samples, "hub_delivery_deadline_notices_total") == 2
    # The late row delivered since is no longer open; the dead one is.
    assert _value(samples, "hub_deliveries_late") == 1
    assert _value(samples, "hub_delivery_latency_seconds_count") == 1
    assert _value(samples, "hub_delivery_latency_seconds_sum") == pytest.approx(2.0, abs=0.01)
    assert _value(samples, "hub_delivery_latency_seconds_bucket", le="1.0") == 0
    assert _value(samples, "hub_delivery_latency_seconds_bucket", le="2.5") == 1
    assert _value(samples, "hub_delivery_latency_seconds_bucket", le="+Inf") == 1


def test_metrics_of_an_empty_hub_are_zero(http: httpx.Client) -> None:
    samples = _scrape(http)

    assert _value(samples, "hub_deliveries_delivered_total") == 0
    assert _value(samples, "hub_deliveries_dead") == 0
    assert _value(samples, "hub_workers_alive") == 0
    assert _value(samples, "hub_delivery_deadline_notices_total") == 0
    assert _value(samples, "hub_deliveries_late") == 0
    assert _value(samples, "hub_queue_depth", lane="urgent") == 0
    assert _value(samples, "hub_delivery_latency_seconds_count") == 0
    assert not any(name == "hub_messages_accepted_total" for name, _ in samples)


@pytest.mark.parametrize("token", [None, TOKEN], ids=["unset", "set"])
def test_metrics_need_the_token_and_are_refused_without_one(
    data_dir: Path, database_url: str, pki: DevPki, token: str | None
) -> None:
    settings = Settings(
        data_dir=data_dir, database_url=database_url, broker_url="stub://", metrics_token=token
    )
    runtime = build_runtime(settings)
    try:
        with (
            SimulatorServer(create_app(runtime)) as server,
            httpx.Client(base_url=server.url, timeout=10) as http,
        ):
            missing = http.get("/metrics")
            wrong = http.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
            right = http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    finally:
        runtime.close()

    if token is None:
        # No token configured: closed to everyone, whatever they present.
        for answer in (missing, wrong, right):
            assert (answer.status_code, answer.json()["code"]) == (403, "auth.metrics_token_unset")
            assert "hub_" not in answer.text
        return
    assert (missing.status_code, missing.json()["code"]) == (401, "auth.missing_credentials")
    assert (wrong.status_code, wrong.json()["code"]) == (401, "auth.invalid_credentials")
    assert right.status_code == 200
    assert "hub_workers_alive 0.0" in right.text
    # A stub broker's queues are read too.
    assert 'hub_queue_depth{lane="urgent"} 0.0' in right.text
