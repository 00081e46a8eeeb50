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

from lxml import etree
from sqlalchemy import ColumnElement, and_, or_, select
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
    mark_late,
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
    """One pass: mark each outbox row past its time to deliver late and tell its message's
    sender (unless the rules exempt it); the number of notices sent.

    One notice per row: its key makes a repeat (another worker, a restart between the
    notice and the mark) a no-op. The late row keeps its status and may still be delivered.
    """
    with session_factory() as session:
        late = [
            (
                delivery.id,
                non_delivery_notice(
                    delivery,
                    message,
                    deadline=deadlines.for_message(message.message_type, delivery.priority),
                    now=now,
                )
                if deadlines.notifies(message.sender, agency)
                else None,
            )
            for delivery, message, agency in _late_deliveries(session, deadlines, now=now)
        ]
    sent = 0
    for delivery_id, notice in late:
        if notice is not None:
            sent += _originate(ingestor, notice, late_delivery_notice_key(delivery_id))
        with session_factory.begin() as session:
            mark_late(session, delivery_id, now=now)
    return sent


def _originate(ingestor: Ingestor, notice: etree._Element, key: str) -> bool:
    """Send one non-delivery notice; False if it was sent before or routing refused it
    (its sender no longer registered): the row is marked late all the same."""
    try:
        return ingestor.originate(notice, notice_key=key) is not None
    except Rejection as exc:
        _log.warning("non-delivery notice %s not sent: %s", key, exc.code)
        return False


#: Messages no one is told about besides the hub's own: receipts, so that a notice never
#: begets another.
_NOT_NOTIFIED_TYPES = ("DeliveryReceipt",)


def _late_deliveries(
    session: Session, deadlines: DeliveryDeadlines, *, now: datetime
) -> list[tuple[OutboxDelivery, MessageLog, str | None]]:
    """Undelivered outbox rows past their time not yet marked late, with their message and
    its sender's agency (None for a partner no longer registered), oldest first."""
    rows = session.execute(
        select(OutboxDelivery, MessageLog, Partner.adapter)
        .join(MessageLog, OutboxDelivery.message_log_id == MessageLog.id)
        .outerjoin(Partner, Partner.code == MessageLog.sender)
        .where(
            OutboxDelivery.status.in_(UNDELIVERED_STATUSES),
            OutboxDelivery.late_at.is_(None),
            MessageLog.sender != HUB_SYSTEM_CODE,
            MessageLog.message_type.not_in(_NOT_NOTIFIED_TYPES),
            _past_deadline(deadlines, now=now),
        )
        .order_by(MessageLog.received_at, OutboxDelivery.id)
        .limit(ESCALATION_BATCH)
    )
    return [(delivery, message, agency) for delivery, message, agency in rows]


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
