"""Partners that fail: down, answering 500, slower than the delivery timeout, or crashing
after they took a message. After each the checker finds every accepted message applied
once by every recipient, none lost, none extra, and no dead letter.

Real processes throughout: the suite's rig of 2 APIs and 2 workers (``tooling.rig``) and
its recording receiver, which plays the social centre (REST) and the commission (SOAP)
and de-duplicates by MessageId. The faults are ``tooling.chaos``'s own, each breaking the
receiver for a few seconds and repairing it: far shorter than the retries last, so no
delivery may go dead (the checker would count one that went dead early, and replays
any). Failures that do exhaust the retries, and their replay, are in
``test_rabbitmq_broker.py`` beside this file.
"""

import random
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from hub.store import DeliveryAttempt, MessageLog, OutboxDelivery
from tests.faults.loads import DEFAULT_MAX_RETRIES, assert_promises_kept, send_during
from tooling.chaos import FAULTS, Figures, SendResult, Target, check
from tooling.rig import Rig

#: Messages sent per fault (a tenth of them tampered, refused).
MESSAGES = 20

#: How each fault shows in the failed attempts the hub logs, per partner transport:
#: the social centre's (httpx) and the commission's (urllib3).
CONNECTION_REFUSED = {
    "PartnerUnavailable: centre not reachable: ConnectError",
    "PartnerUnavailable: commission not reachable: NewConnectionError",
}
ANSWERED_500 = {
    "PartnerUnavailable: centre answered 500",
    "PartnerUnavailable: commission answered HTTP 500",
}
TIMED_OUT = {
    "PartnerUnavailable: centre not reachable: ReadTimeout",
    "PartnerUnavailable: commission not reachable: ReadTimeoutError",
}


def _failures(rig: Rig, results: list[SendResult]) -> Counter[str]:
    """The errors of this run's failed delivery attempts, counted by text."""
    with rig.session() as session:
        return Counter(
            session.scalars(
                select(DeliveryAttempt.error)
                .join(OutboxDelivery, DeliveryAttempt.delivery_id == OutboxDelivery.id)
                .join(MessageLog, OutboxDelivery.message_log_id == MessageLog.id)
                .where(
                    MessageLog.message_id.in_([r.message_id for r in results]),
                    DeliveryAttempt.outcome.in_(("retry", "dead")),
                )
            )
        )


@dataclass(frozen=True)
class Run:
    """A load sent through a fault: what the fault hit, the sends, the checker's figures,
    and the errors of the failed delivery attempts (by text)."""

    hit: str
    figures: Figures
    failures: Counter[str]


def _run_through(rig: Rig, fault: str) -> Run:
    """Send the load while ``tooling.chaos``'s ``fault`` breaks and repairs the receiver; check
    every promise kept, with no dead letter (the fault was over long before the retries
    would have run out)."""
    hits: list[str] = []
    results = send_during(
        rig, MESSAGES, lambda: hits.append(FAULTS[fault](Target(rig), random.Random(0)))
    )
    figures = check(rig, results, max_retries=DEFAULT_MAX_RETRIES)
    assert_promises_kept(figures, messages=MESSAGES)
    assert (figures.dead, figures.replayed) == (0, 0)
    (hit,) = hits
    return Run(hit, figures, _failures(rig, results))


def test_a_partner_that_is_down_gets_every_message_once_it_is_back(fault_rig: Rig) -> None:
    # When the receiver is killed while messages flow, then restarted
    run = _run_through(fault_rig, "receiver_down")

    # Then every message reached both partners once in effect, after deliveries that
    # failed meanwhile, as refused connections
    assert run.hit == "receiver"
    assert set(run.failures) >= CONNECTION_REFUSED


def test_a_partner_answering_500_gets_every_message_once_it_recovers(fault_rig: Rig) -> None:
    # When the receiver answers 500 to everything for three seconds
    run = _run_through(fault_rig, "receiver_fail")

    # Then every message reached both partners once in effect, after calls that
    # arrived and were answered 500
    assert run.hit == "receiver:fail"
    assert set(run.failures) >= ANSWERED_500
    assert run.figures.duplicate_arrivals > 0


def test_a_partner_slower_than_the_timeout_applies_every_message_once(fault_rig: Rig) -> None:
    # When the receiver takes a second longer than the hub's delivery timeout to answer
    run = _run_through(fault_rig, "receiver_slow")

    # Then the hub gave up on those calls and delivered again: the receiver got
    # messages twice and, de-duplicating by MessageId, applied each once
    assert run.hit == "receiver:slow"
    assert set(run.failures) >= TIMED_OUT
    assert run.figures.duplicate_arrivals > 0


def test_a_partner_crashing_after_it_took_a_message_applies_it_once(fault_rig: Rig) -> None:
    # When the receiver applies a message and dies before answering, and is restarted
    run = _run_through(fault_rig, "receiver_crash")

    # Then it did crash (was not killed for want of an arrival), the hub sent the
    # unanswered message again, and the receiver applied it once
    assert run.hit == "receiver:crash"
    assert run.figures.duplicate_arrivals > 0
    assert set(run.failures) & CONNECTION_REFUSED
