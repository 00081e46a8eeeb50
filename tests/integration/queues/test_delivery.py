"""deliver_once and PartnerTransports without a broker: one attempt, its log and the row's state."""

from collections.abc import Callable
from datetime import timedelta

import dramatiq
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import (
    Adapter,
    DeliveryResult,
    InMemoryTransport,
    OutboundMessage,
    PartnerRejected,
    PartnerUnavailable,
)
from hub.store import DeliveryMode, DeliveryStatus, Partner
from queues import Outcome, PartnerTransports, TransportMissing, deliver_once
from tests.integration.queues.queue_helpers import Clock, Outbox

#: One attempt at a row: ``attempt(delivery_id, will_retry=True) -> Outcome``.
Attempt = Callable[..., Outcome]

#: The cap on a retry delay, in milliseconds: the hub's default HUB_DELIVERY_MAX_BACKOFF_MS.
MAX_BACKOFF_MS = 300_000


@pytest.fixture
def attempt(
    session_factory: sessionmaker[Session], transports: PartnerTransports, clock: Clock
) -> Attempt:
    def run(delivery_id: int, *, will_retry: bool = True, max_attempts: int = 1) -> Outcome:
        return deliver_once(
            session_factory,
            delivery_id,
            transports=transports,
            now=clock,
            lease_s=30,
            will_retry=will_retry,
            max_backoff_ms=MAX_BACKOFF_MS,
            max_attempts=max_attempts,
        )

    return run


def test_delivers_once_then_skips_a_second_message_for_the_same_row(
    attempt: Attempt, outbox: Outbox, partner: InMemoryTransport
) -> None:
    delivery_id = outbox.delivery(priority="urgent")

    assert attempt(delivery_id) is Outcome.DELIVERED
    assert attempt(delivery_id) is Outcome.SKIPPED

    [sent] = partner.delivered
    assert (sent.delivery_id, sent.recipient, sent.priority) == (delivery_id, "social", "urgent")
    assert sent.envelope.startswith(b"<signed")
    row = outbox.get(delivery_id)
    assert (row.status, row.attempts, row.remote_reference) == (
        DeliveryStatus.DELIVERED,
        1,
        "mem-1",
    )
    assert [a.outcome for a in row.attempt_log] == ["delivered"]


def test_a_row_held_by_another_worker_is_skipped(
    attempt: Attempt, outbox: Outbox, partner: InMemoryTransport
) -> None:
    delivery_id = outbox.delivery(status=DeliveryStatus.IN_FLIGHT)
    row = outbox.get(delivery_id)
    assert row.lease_until is None  # a NULL lease never expires by comparison

    assert attempt(delivery_id) is Outcome.SKIPPED
    assert partner.delivered == []


def test_partner_down_makes_the_row_retrying_and_raises_for_the_broker(
    attempt: Attempt, outbox: Outbox, partner: InMemoryTransport, clock: Clock
) -> None:
    delivery_id = outbox.delivery()
    partner.fail_next(1, PartnerUnavailable("HTTP 503"))

    with pytest.raises(PartnerUnavailable):
        attempt(delivery_id)

    row = outbox.get(delivery_id)
    assert (row.status, row.lease_until, row.next_attempt_at) == (
        DeliveryStatus.RETRYING,
        None,
        clock(),
    )
    assert [(a.number, a.outcome, a.error) for a in row.attempt_log] == [
        (1, "retry", "PartnerUnavailable: HTTP 503")
    ]


def test_retry_after_becomes_a_dramatiq_retry_with_that_delay(
    attempt: Attempt, outbox: Outbox, partner: InMemoryTransport, clock: Clock
) -> None:
    delivery_id = outbox.delivery()
    partner.fail_next(1, PartnerUnavailable("HTTP 429", retry_after_s=42.5))

    with pytest.raises(dramatiq.Retry) as retry:
        attempt(delivery_id)

    assert retry.value.delay == 42_500
    assert isinstance(retry.value.__cause__, PartnerUnavailable)
    assert outbox.get(delivery_id).next_attempt_at == clock() + timedelta(seconds=42.5)


def test_a_retry_after_beyond_the_maximum_backoff_waits_the_maximum(
    attempt: Attempt, outbox: Outbox, partner: InMemoryTransport, clock: Clock
) -> None:
    delivery_id = outbox.delivery()
    partner.fail_next(1, PartnerUnavailable("HTTP 503", retry_after_s=30 * 86_400))

    with pytest.raises(dramatiq.Retry) as retry:
        attempt(delivery_id)

    assert retry.value.delay == MAX_BACKOFF_MS
    assert outbox.get(delivery_id).next_attempt_at == clock() + timedelta(
        milliseconds=MAX_BACKOFF_MS
    )


def test_last_allowed_failure_makes_the_row_dead(
    attempt: Attempt, outbox: Outbox, partner: InMemoryTransport
) -> None:
    delivery_id = outbox.delivery()
    partner.fail_next(1, PartnerUnavailable("timeout", retry_after_s=5))

    with pytest.raises(PartnerUnavailable):
        attempt(delivery_id, will_retry=False)

    row = outbox.get(delivery_id)
    assert row.status is DeliveryStatus.DEAD
    assert [a.outcome for a in row.attempt_log] == ["dead"]


def test_the_brokers_last_try_leaves_a_row_whose_attempts_are_not_spent_retrying(
    attempt: Attempt, outbox: Outbox, partner: InMemoryTransport
) -> None:
    # Given a row claimed once, whose message's other tries failed before any claim
    # (the database was down): the broker's last try is the row's second attempt of three
    delivery_id = outbox.delivery(attempts=1)
    partner.fail_next(2, PartnerUnavailable("timeout"))

    # When the partner fails it
    with pytest.raises(PartnerUnavailable):
        attempt(delivery_id, will_retry=False, max_attempts=3)

    # Then the row waits for the sweeper, not in the dead letters
    row = outbox.get(delivery_id)
    assert (row.status, row.attempts) == (DeliveryStatus.RETRYING, 2)
    assert [a.outcome for a in row.attempt_log] == ["retry"]

    # And its third attempt, the last the budget allows, ends it
    with pytest.raises(PartnerUnavailable):
        attempt(delivery_id, will_retry=False, max_attempts=3)
    row = outbox.get(delivery_id)
    assert (row.status, row.attempts) == (DeliveryStatus.DEAD, 3)
    assert [a.outcome for a in row.attempt_log] == ["retry", "dead"]


def test_rejection_makes_the_row_dead_at_once(
    attempt: Attempt, outbox: Outbox, partner: InMemoryTransport
) -> None:
    delivery_id = outbox.delivery()
    partner.fail_next(1, PartnerRejected("HTTP 422"))

    with pytest.raises(PartnerRejected):
        attempt(delivery_id, will_retry=True)

    row = outbox.get(delivery_id)
    assert (row.status, row.last_error) == (DeliveryStatus.DEAD, "PartnerRejected: HTTP 422")
    assert [a.outcome for a in row.attempt_log] == ["rejected"]


def test_unexpected_transport_error_is_retryable_and_logged_by_type_only(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    class BrokenTransport(InMemoryTransport):
        def deliver(self, message: OutboundMessage) -> DeliveryResult:
            raise KeyError("Ivanova Maria, born 2019")

    broken = PartnerTransports(
        session_factory,
        {"mem": Adapter("mem", "push", lambda _e, _t: BrokenTransport())},
        timeout_s=1,
    )
    delivery_id = outbox.delivery()

    with pytest.raises(KeyError):
        deliver_once(
            session_factory,
            delivery_id,
            transports=broken,
            now=clock,
            lease_s=30,
            will_retry=True,
            max_backoff_ms=MAX_BACKOFF_MS,
        )

    row = outbox.get(delivery_id)
    assert (row.status, row.last_error) == (DeliveryStatus.RETRYING, "KeyError")
    assert [a.error for a in row.attempt_log] == ["KeyError"]


@pytest.mark.parametrize(
    ("code", "mode", "endpoint", "adapter", "reason"),
    [
        ("nobody", None, None, "mem", "no active partner"),
        ("police", DeliveryMode.PULL, None, "mem", "pulls its inbox"),
        ("health", DeliveryMode.PUSH, None, "mem", "no endpoint"),
        ("kdn", DeliveryMode.PUSH, "https://kdn", "soap", "cannot push"),
    ],
)
def test_recipient_without_transport_goes_dead(
    attempt: Attempt,
    outbox: Outbox,
    code: str,
    mode: DeliveryMode | None,
    endpoint: str | None,
    adapter: str,
    reason: str,
) -> None:
    if mode is not None:
        outbox.partner(code, mode=mode, endpoint=endpoint, adapter=adapter)
    delivery_id = outbox.delivery(recipient=code)

    with pytest.raises(TransportMissing, match=reason) as missing:
        attempt(delivery_id)

    assert missing.value.recipient == code
    row = outbox.get(delivery_id)
    assert row.status is DeliveryStatus.DEAD
    assert [a.outcome for a in row.attempt_log] == ["dead"]


def test_partner_transports_builds_one_transport_per_recipient(
    session_factory: sessionmaker[Session], outbox: Outbox
) -> None:
    built: list[tuple[str, float]] = []

    def make(endpoint: str, timeout_s: float) -> InMemoryTransport:
        built.append((endpoint, timeout_s))
        return InMemoryTransport()

    outbox.partner("employment", endpoint="https://employment/api")
    resolver = PartnerTransports(session_factory, {"mem": Adapter("mem", "push", make)}, 2.5)

    first = resolver.transport_for("employment", "https://employment/api")
    assert resolver.transport_for("employment", "https://employment/api") is first
    assert resolver.transport_for("social", "mem://partner") is not first
    assert built == [("https://employment/api", 2.5), ("mem://partner", 2.5)]
    resolver.close()
    assert resolver.transport_for("employment", "https://employment/api") is not first


def test_partner_transports_builds_a_new_transport_when_the_endpoint_changed(
    session_factory: sessionmaker[Session], outbox: Outbox
) -> None:
    built: list[str] = []
    closed: list[str] = []

    class Recording(InMemoryTransport):
        def __init__(self, endpoint: str) -> None:
            super().__init__()
            self.endpoint = endpoint

        def close(self) -> None:
            closed.append(self.endpoint)

    def make(endpoint: str, _timeout_s: float) -> Recording:
        built.append(endpoint)
        return Recording(endpoint)

    outbox.partner("employment", endpoint="https://old/api")
    resolver = PartnerTransports(session_factory, {"mem": Adapter("mem", "push", make)}, 2.5)
    old = resolver.transport_for("employment", "https://old/api")

    # When the partner's row gets another endpoint, and an attempt reads it
    with session_factory.begin() as session:
        session.execute(
            update(Partner).where(Partner.code == "employment").values(endpoint="https://new/api")
        )
    new = resolver.transport_for("employment", "https://new/api")

    # Then a transport for the new endpoint replaces the old one, which stays open (a
    # delivery may be using it) until the resolver closes
    assert new is not old
    assert built == ["https://old/api", "https://new/api"]
    assert resolver.transport_for("employment", "https://new/api") is new
    assert closed == []
    resolver.close()
    assert sorted(closed) == ["https://new/api", "https://old/api"]
