"""The deadline job: actions past their deadline get the hub's overdue notice, once, and
urgent signals the case owner has not acknowledged in time get one reminder to it.

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

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.cases import (
    RECEIPT_NOTICE_PREFIX,
    notice_key,
    overdue_notice,
    receipt_notice_key,
    unacknowledged_signal_notice,
)
from hub.cases.deadlines import due_action_deadlines
from hub.ingest import Ingestor
from hub.jobs import run_every
from hub.regions import RegionRules
from hub.store import CaseReferral, HubNotice

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


def run_escalation(
    ingestor: Ingestor,
    session_factory: sessionmaker[Session],
    regions: RegionRules,
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

    run_every(one_pass, clock=clock, interval_s=interval_s, stop=stop, name="deadline")
