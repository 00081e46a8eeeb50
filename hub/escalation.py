"""The deadline job: actions past their deadline get the hub's overdue notice, once, urgent
signals the case owner has not acknowledged in time get one reminder to it, and messages not
delivered within their time to deliver get one non-delivery notice to their sender per
recipient (the routing rules' ``delivery_deadlines``).

Runs beside the delivery worker (``hub worker``, ``hub serve``). Each pass reads
the action deadlines that passed without the action done, and sends one notice
per deadline through ``Ingestor.originate`` — signed, logged, projected (which
marks the action overdue and the deadline escalated) and delivered like any
message. Who is told comes from the rules of the case's region, the ones the
runtime loaded. Each notice is stored under a key derived from its deadline (its
MessageId is random), so two workers or a restart in the middle of a pass cannot
send it twice.
"""

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, sessionmaker

from hub.cases import (
    RECEIPT_NOTICE_PREFIX,
    non_delivery_notice,
    notice_key,
    overdue_notice,
    receipt_notice_key,
    unacknowledged_signal_notice,
)
from hub.cases.deadlines import due_action_deadlines
from hub.errors import Rejection
from hub.ingest import Ingestor
from hub.jobs import run_every
from hub.regions import RegionRules
from hub.routing import URGENT, DeliveryDeadlines
from hub.store import (
    UNDELIVERED_STATUSES,
    CaseReferral,
    HubNotice,
    MessageLog,
    OutboxDelivery,
    Partner,
    late_delivery_notice_key,
    late_delivery_noticed,
)
from signing import HUB_SYSTEM_CODE

_log = logging.getLogger(__name__)

#: Deadlines handled per pass; the next pass takes the rest.
ESCALATION_BATCH = 100


def escalate_overdue_actions(
    ingestor: Ingestor,
    session_factory: sessionmaker[Session],
    regions: RegionRules,
    *,
    now: datetime,
) -> int:
    """One pass: send the overdue notices now due; the number sent (repeats are skipped)."""
    with session_factory() as session:
        notices = [
            (
                notice_key(case, deadline),
                overdue_notice(case, action, region=regions.for_case(case.region), now=now),
            )
            for deadline, action, case in due_action_deadlines(
                session, now=now, limit=ESCALATION_BATCH
            )
        ]
    return sum(
        1 for key, notice in notices if ingestor.originate(notice, notice_key=key) is not None
    )


def escalate_unacknowledged_signals(
    ingestor: Ingestor,
    session_factory: sessionmaker[Session],
    regions: RegionRules,
    *,
    now: datetime,
) -> int:
    """One pass: remind case owners of urgent signals past their receipt deadline; the
    number sent. A reminder already sent (its key taken) is never sent again."""
    with session_factory() as session:
        notices = [
            (
                receipt_notice_key(referral),
                unacknowledged_signal_notice(
                    referral, region=regions.for_case(referral.region), now=now
                ),
            )
            for referral in _late_urgent_signals(session, now=now)
        ]
    return sum(
        1 for key, notice in notices if ingestor.originate(notice, notice_key=key) is not None
    )


def _late_urgent_signals(session: Session, *, now: datetime) -> list[CaseReferral]:
    """Urgent referrals past their receipt deadline, unacknowledged and not yet reminded of."""
    reminded = select(HubNotice.notice_key).where(
        HubNotice.notice_key == RECEIPT_NOTICE_PREFIX + CaseReferral.message_id
    )
    return list(
        session.scalars(
            select(CaseReferral)
            .where(
                CaseReferral.urgent.is_(True),
                CaseReferral.receipt_at.is_(None),
                CaseReferral.receipt_due_at <= now,
                ~reminded.exists(),
            )
            .order_by(CaseReferral.receipt_due_at, CaseReferral.id)
            .limit(ESCALATION_BATCH)
        )
    )


def notify_late_deliveries(
    ingestor: Ingestor,
    session_factory: sessionmaker[Session],
    deadlines: DeliveryDeadlines,
    *,
    now: datetime,
) -> int:
    """One pass: tell the sender of each message that has not reached a recipient within its
    time to deliver; the number of notices sent. One per outbox row: a notice already sent
    (its key taken) is never sent again, and the late row itself is left as it is."""
    with session_factory() as session:
        notices = [
            (
                late_delivery_notice_key(delivery.id),
                non_delivery_notice(
                    delivery,
                    message,
                    deadline=deadlines.for_message(message.message_type, delivery.priority),
                    now=now,
                ),
            )
            for delivery, message in _late_deliveries(session, deadlines, now=now)
        ]
    sent = 0
    for key, notice in notices:
        try:
            sent += ingestor.originate(notice, notice_key=key) is not None
        except Rejection as exc:  # one row routing cannot serve must not block the rest
            _log.warning("non-delivery notice %s not sent: %s", key, exc.code)
    return sent


#: Messages no one is told about: the hub's own (its notices) and receipts, so that a
#: notice never begets another.
_NOT_NOTIFIED_TYPES = ("DeliveryReceipt",)


def _late_deliveries(
    session: Session, deadlines: DeliveryDeadlines, *, now: datetime
) -> list[tuple[OutboxDelivery, MessageLog]]:
    """Outbox rows past their time, not delivered, whose (active) sender was not yet told."""
    sender_active = exists().where(Partner.code == MessageLog.sender, Partner.active.is_(True))
    rows = session.execute(
        select(OutboxDelivery, MessageLog)
        .join(MessageLog, OutboxDelivery.message_log_id == MessageLog.id)
        .where(
            OutboxDelivery.status.in_(UNDELIVERED_STATUSES),
            MessageLog.sender != HUB_SYSTEM_CODE,
            MessageLog.message_type.not_in(_NOT_NOTIFIED_TYPES),
            _past_deadline(deadlines, now=now),
            sender_active,
            ~late_delivery_noticed(),
        )
        .order_by(MessageLog.received_at, OutboxDelivery.id)
        .limit(ESCALATION_BATCH)
    )
    return [(delivery, message) for delivery, message in rows]


def _past_deadline(deadlines: DeliveryDeadlines, *, now: datetime) -> ColumnElement[bool]:
    """Rows accepted longer ago than their (type, lane)'s time to deliver."""
    named = tuple(deadlines.by_type)
    lanes: list[ColumnElement[bool]] = []
    for priority, in_lane in (
        (URGENT, OutboxDelivery.priority == URGENT),
        ("routine", OutboxDelivery.priority != URGENT),
    ):
        for message_type in named:
            lanes.append(
                and_(
                    in_lane,
                    MessageLog.message_type == message_type,
                    MessageLog.received_at <= now - deadlines.for_message(message_type, priority),
                )
            )
        lanes.append(
            and_(
                in_lane,
                MessageLog.message_type.not_in(named),
                MessageLog.received_at <= now - deadlines.for_message(None, priority),
            )
        )
    return or_(*lanes)


def run_escalation(
    ingestor: Ingestor,
    session_factory: sessionmaker[Session],
    regions: RegionRules,
    deadlines: DeliveryDeadlines,
    *,
    clock: Callable[[], datetime],
    interval_s: float,
    stop: threading.Event,
) -> None:
    """Pass every ``interval_s`` seconds until ``stop``; a failed pass is logged and retried."""

    def one_pass(now: datetime) -> None:
        sent = escalate_overdue_actions(ingestor, session_factory, regions, now=now)
        if sent:
            _log.info("overdue notices sent: %d", sent)
        reminded = escalate_unacknowledged_signals(ingestor, session_factory, regions, now=now)
        if reminded:
            _log.info("unacknowledged signal reminders sent: %d", reminded)
        told = notify_late_deliveries(ingestor, session_factory, deadlines, now=now)
        if told:
            _log.info("non-delivery notices sent: %d", told)

    run_every(one_pass, clock=clock, interval_s=interval_s, stop=stop, name="deadline")
