"""The deadline job: actions past their deadline get the hub's overdue notice, once.

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

from sqlalchemy.orm import Session, sessionmaker

from hub.cases import notice_key, overdue_notice
from hub.cases.deadlines import due_action_deadlines
from hub.ingest import Ingestor
from hub.regions import RegionRules

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
    while not stop.is_set():
        try:
            sent = escalate_overdue_actions(ingestor, session_factory, regions, now=clock())
            if sent:
                _log.info("overdue notices sent: %d", sent)
        except Exception:  # the job must outlive a database blip; the next pass retries
            _log.exception("deadline pass failed")
        stop.wait(interval_s)
