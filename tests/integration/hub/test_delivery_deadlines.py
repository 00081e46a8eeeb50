"""A message not delivered within its time gets its sender one signed non-delivery notice per
recipient (a DeliveryReceipt 1.1 ``not_delivered``), however often the job runs; the late
row keeps its state."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.config import Settings
from hub.escalation import notify_late_deliveries
from hub.ingest import Ingestor, IngestReceipt, build_ingestor
from hub.observability import late_delivery_figures
from hub.routing import DeliveryDeadlines
from hub.store import (
    AttemptOutcome,
    DeliveryStatus,
    HubNotice,
    MessageLog,
    OutboxDelivery,
    PushOutcome,
    claim_push_batch,
    late_delivery_notice_key,
    record_push_outcomes,
)
from schemas import canonical as c
from schemas import parse_xml
from signing import DevPki, XmlVerifier
from tests.factories import Signers, make_envelope

#: МЭДО's 72 hours, and an urgent lane of 4.
DEADLINES = DeliveryDeadlines(default=timedelta(hours=72), urgent=timedelta(hours=4))


def police_referral(ingestor: Ingestor, signers: Signers, *, priority: str) -> IngestReceipt:
    """A police referral, routed to the social centre and the commission (both pushed)."""
    referral = make_envelope("FamilyReferral", sender="police", priority=priority)
    return ingestor.ingest(signers.sign(referral), authenticated="police")


def attempt(
    session_factory: sessionmaker[Session],
    delivery_id: int,
    *,
    now: datetime,
    outcome: AttemptOutcome = "delivered",
) -> None:
    """Claim the row as a worker would (the only due row of its lane), record ``outcome``."""
    with session_factory.begin() as session:
        row = session.get_one(OutboxDelivery, delivery_id)
        [claim] = claim_push_batch(
            session, row.recipient, urgent=row.priority == "urgent", now=now, lease_s=60, limit=1
        )
        assert claim.id == delivery_id
        error = None if outcome == "delivered" else "PartnerRejected: refused"
        record_push_outcomes(
            session, [PushOutcome(delivery_id, claim.attempts, outcome, now, now, error=error)]
        )


def row_to(receipt: IngestReceipt, recipient: str) -> int:
    return next(d.delivery_id for d in receipt.deliveries if d.recipient == recipient)


def notices(session: Session) -> list[MessageLog]:
    return list(
        session.scalars(
            select(MessageLog)
            .where(MessageLog.sender == "hub", MessageLog.message_type == "DeliveryReceipt")
            .order_by(MessageLog.id)
        )
    )


def test_a_late_delivery_gets_its_sender_one_signed_receipt_and_keeps_its_state(
    ingestor: Ingestor,
    signers: Signers,
    session_factory: sessionmaker[Session],
    pki: DevPki,
) -> None:
    # Given a routine referral the commission took at once and the social centre has not
    sent = police_referral(ingestor, signers, priority="routine")
    attempt(session_factory, row_to(sent, "kdn"), now=sent.received_at)
    late = row_to(sent, "social")

    # When the job passes just before and just after its 72 hours
    early = notify_late_deliveries(
        ingestor, session_factory, DEADLINES, now=sent.received_at + timedelta(hours=71)
    )
    told = notify_late_deliveries(
        ingestor, session_factory, DEADLINES, now=sent.received_at + timedelta(hours=73)
    )

    # Then the police alone got one notice, about the social centre only, signed by the hub
    assert (early, told) == (0, 1)
    with session_factory() as session:
        [notice] = notices(session)
        [copy] = session.scalars(
            select(OutboxDelivery).where(OutboxDelivery.message_log_id == notice.id)
        )
        assert (copy.recipient, copy.priority) == ("police", "routine")
        verified = XmlVerifier(pki.trust_store()).verify(
            parse_xml(copy.payload), expected_sender="hub"
        )
        message = c.from_envelope(verified.signed_xml)
        assert message.header.schema_version == "1.1"
        assert message.header.correlation_id == sent.message_id
        receipt = message.payload
        assert isinstance(receipt, c.DeliveryReceipt)
        assert (receipt.delivered_message_id, receipt.recipient, receipt.outcome) == (
            sent.message_id,
            "social",
            "not_delivered",
        )
        assert receipt.reason is not None
        assert "за 72 ч" in receipt.reason
        assert "продолжает доставку" in receipt.reason
        # The late row is left to be delivered; it is recognisably late meanwhile.
        row = session.get_one(OutboxDelivery, late)
        assert row.status == DeliveryStatus.PENDING
        assert row.late_at == sent.received_at + timedelta(hours=73)
        assert (
            session.scalar(
                select(HubNotice.message_log_id).where(
                    HubNotice.notice_key == late_delivery_notice_key(late)
                )
            )
            == notice.id
        )
        assert late_delivery_figures(session).open == 1

    # When it is delivered after all, the lateness closes and nothing more is sent
    attempt(session_factory, late, now=sent.received_at + timedelta(hours=80))
    again = notify_late_deliveries(
        ingestor, session_factory, DEADLINES, now=sent.received_at + timedelta(hours=81)
    )
    assert again == 0
    with session_factory() as session:
        figures = late_delivery_figures(session)
        assert (figures.notices_total, figures.open) == (1, 0)


def test_another_worker_and_later_passes_send_no_second_notice(
    settings: Settings,
    ingestor: Ingestor,
    signers: Signers,
    session_factory: sessionmaker[Session],
) -> None:
    sent = police_referral(ingestor, signers, priority="routine")
    later = sent.received_at + timedelta(hours=73)
    first = notify_late_deliveries(ingestor, session_factory, DEADLINES, now=later)
    other_worker = build_ingestor(
        settings, session_factory, clock=lambda: datetime.now(UTC), on_committed=list
    )

    second = notify_late_deliveries(other_worker, session_factory, DEADLINES, now=later)
    # Long after, the hub's own notice (still waiting in the police inbox) begets none either.
    much_later = notify_late_deliveries(
        ingestor, session_factory, DEADLINES, now=later + timedelta(days=30)
    )

    assert (first, second, much_later) == (2, 0, 0)
    with session_factory() as session:
        assert len(notices(session)) == 2
        assert late_delivery_figures(session).open == 2


def test_an_urgent_message_is_late_sooner_and_a_dead_row_is_late_too(
    ingestor: Ingestor,
    signers: Signers,
    session_factory: sessionmaker[Session],
) -> None:
    routine = police_referral(ingestor, signers, priority="routine")
    urgent = police_referral(ingestor, signers, priority="urgent")
    attempt(session_factory, row_to(urgent, "kdn"), now=urgent.received_at, outcome="rejected")

    told = notify_late_deliveries(
        ingestor, session_factory, DEADLINES, now=urgent.received_at + timedelta(hours=5)
    )

    # Both urgent copies (the dead one included), in the urgent lane; the routine one waits.
    assert told == 2
    with session_factory() as session:
        about = {
            (
                c.from_envelope(parse_xml(n.raw)).payload.delivered_message_id,  # type: ignore[union-attr]
                n.priority,
            )
            for n in notices(session)
        }
        assert about == {(urgent.message_id, "urgent")}
        reasons = {
            c.from_envelope(parse_xml(n.raw)).payload.reason  # type: ignore[union-attr]
            for n in notices(session)
        }
        assert any(r is not None and "ждёт оператора" in r for r in reasons)
        assert all(r is not None and "за 4 ч" in r for r in reasons)
    assert routine.message_id != urgent.message_id


def test_a_sender_the_rules_exempt_is_not_told_but_its_row_is_marked_late(
    ingestor: Ingestor,
    signers: Signers,
    session_factory: sessionmaker[Session],
) -> None:
    # The commission's register takes no DeliveryReceipt (adapters/kdn/documents.py).
    exempt = DeliveryDeadlines(default=timedelta(hours=72), without_notice=frozenset({"kdn"}))
    referral = make_envelope("FamilyReferral", sender="kdn", priority="routine")
    sent = ingestor.ingest(signers.sign(referral), authenticated="kdn")

    told = notify_late_deliveries(
        ingestor, session_factory, exempt, now=sent.received_at + timedelta(hours=73)
    )

    assert told == 0
    with session_factory() as session:
        assert notices(session) == []
        rows = session.scalars(
            select(OutboxDelivery).where(OutboxDelivery.message_log_id == sent.hub_id)
        ).all()
        assert rows
        assert all(r.late_at is not None for r in rows)
        assert late_delivery_figures(session).open == len(rows)
