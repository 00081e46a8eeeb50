"""A partner posting faster than its per-second limit is refused with 429, and recorded."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import Engine, select

from hub.errors import Rejection
from hub.ratelimit import PartnerRateLimit
from hub.store import Rejection as RejectionRow
from hub.store import make_session_factory
from signing import DevPki
from tests.factories import Signers, make_envelope
from tests.stack import RunningHub, fast_settings, running_hub


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(redis_url)
    yield connection
    connection.close()


def test_each_partner_has_its_own_budget_per_second(client: redis.Redis) -> None:
    limit = PartnerRateLimit(client, per_second=2)
    second = 1_900_000_000.0  # a window no other run uses

    for _ in range(2):
        limit.check("police", now=second)
    with pytest.raises(Rejection) as refusal:
        limit.check("police", now=second + 0.5)
    limit.check("health", now=second + 0.5)  # another partner is not affected
    limit.check("police", now=second + 1.0)  # the next second starts afresh

    assert refusal.value.code == "auth.rate_limited"
    assert refusal.value.extra["retry_after_s"] == 1


def test_no_limit_when_switched_off_or_without_redis(client: redis.Redis) -> None:
    for limit in (PartnerRateLimit(client, per_second=0), PartnerRateLimit(None, per_second=1)):
        for _ in range(5):
            limit.check("police", now=1_900_000_100.0)


@pytest.fixture
def limited_hub(
    data_dir: Path, database_url: str, redis_url: str, pki: DevPki
) -> Iterator[RunningHub]:
    settings = fast_settings(data_dir, database_url, redis_url).model_copy(
        update={"partner_rate_per_s": 2}
    )
    with running_hub(settings, pki, worker=False, simulators=False) as hub:
        yield hub


def test_posting_too_fast_is_refused_with_retry_after_and_recorded(
    limited_hub: RunningHub, pki: DevPki, engine: Engine
) -> None:
    signers = Signers(pki)
    bodies = [signers.sign(make_envelope(sender="police")) for _ in range(8)]
    headers = {
        "Content-Type": "application/xml",
        "Authorization": f"Bearer {limited_hub.api_keys['police']}",
    }
    with httpx.Client(base_url=limited_hub.url, timeout=10) as http:
        answers = [http.post("/api/v1/messages", content=b, headers=headers) for b in bodies]

    refused = [a for a in answers if a.status_code == 429]
    assert refused, [a.status_code for a in answers]
    assert {a.json()["code"] for a in refused} == {"auth.rate_limited"}
    assert all(a.headers["Retry-After"] == "1" for a in refused)
    assert all(a.status_code in (202, 429) for a in answers)
    with make_session_factory(engine)() as session:
        codes = session.scalars(select(RejectionRow.code)).all()
    assert codes.count("auth.rate_limited") == len(refused)
