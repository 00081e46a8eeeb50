"""Settings refuse, at start, combinations that would fail later in a running hub."""

import pytest
from pydantic import ValidationError

from hub.config import RABBITMQ_CONSUMER_TIMEOUT_MS, Settings

#: Just short of RabbitMQ's default consumer_timeout, in milliseconds.
LONGEST_BACKOFF_MS = RABBITMQ_CONSUMER_TIMEOUT_MS - 1


def _settings(broker_url: str | None, max_backoff_ms: int) -> Settings:
    """Settings as the environment would give them (``REDIS_URL``), validated."""
    return Settings.model_validate(
        {"REDIS_URL": broker_url, "delivery_max_backoff_ms": max_backoff_ms}
    )


@pytest.mark.parametrize("url", ["amqp://guest:guest@127.0.0.1:5672/hub", "amqps://mq.example/"])
def test_a_backoff_reaching_rabbitmqs_consumer_timeout_is_refused(url: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _settings(url, RABBITMQ_CONSUMER_TIMEOUT_MS)
    assert "HUB_DELIVERY_MAX_BACKOFF_MS (1800000) must be below" in str(refused.value)
    assert "consumer_timeout" in str(refused.value)


def test_a_backoff_below_it_is_accepted_on_rabbitmq() -> None:
    settings = _settings("amqp://mq/", LONGEST_BACKOFF_MS)
    assert settings.delivery_max_backoff_ms == LONGEST_BACKOFF_MS


@pytest.mark.parametrize("url", [None, "redis://127.0.0.1:6379/0"])
def test_redis_holds_a_long_backoff(url: str | None) -> None:
    # Redis has no acknowledgement timeout: a delayed retry waits as long as it must.
    settings = _settings(url, RABBITMQ_CONSUMER_TIMEOUT_MS)
    assert settings.delivery_max_backoff_ms == RABBITMQ_CONSUMER_TIMEOUT_MS


def test_credentials_are_never_remembered_longer_than_the_crl_recheck() -> None:
    assert Settings(credential_cache_s=2, crl_recheck_s=5).credential_recheck_s == 2
    assert Settings(credential_cache_s=2, crl_recheck_s=0).credential_recheck_s == 0
