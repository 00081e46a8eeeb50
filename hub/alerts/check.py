"""One evaluation of the alert rules, and the worker's loop that repeats it.

A pass evaluates every rule in one transaction, brings the incidents in line with the
findings (``apply_findings``), commits, then sends the notices not yet sent — this
pass's and any an earlier pass could not send. The worker's loop (``run_alerts``)
first takes the job's turn (``claim_job``), so with several workers one evaluates per
interval; ``hub alerts check`` evaluates at once.
"""

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from hub.alerts.incidents import Changes, apply_findings
from hub.alerts.kinds import KINDS, AlertSource
from hub.alerts.notify import channels_for, send_unsent
from hub.alerts.rules import AlertRule
from hub.config import Settings
from hub.jobs import run_every
from hub.store import AlertIncident, claim_job, open_incidents

__all__ = ["ALERTS_JOB", "CheckResult", "check_alerts", "run_alerts"]

#: The job's name in ``job_claim``.
ALERTS_JOB = "alerts"

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    """What one pass did: incidents opened and resolved (ids), notices sent."""

    opened: list[int]
    resolved: list[int]
    sent: int


def check_alerts(
    settings: Settings,
    session_factory: sessionmaker[Session],
    rules: Sequence[AlertRule],
    *,
    now: datetime,
) -> CheckResult:
    """Evaluate ``rules`` at ``now``, update the incidents, send the notices due.

    A rule whose kind cannot read what it watches (a file it cannot parse) is skipped
    and logged; its incidents stay as they were rather than resolving.
    """
    channels = channels_for(settings)
    changes = Changes()
    with session_factory.begin() as session:
        source = AlertSource(session, settings)
        by_rule: defaultdict[str, list[AlertIncident]] = defaultdict(list)
        for incident in open_incidents(session):
            by_rule[incident.rule].append(incident)
        for rule in rules:
            try:
                findings = KINDS[rule.kind].evaluate(source, now, rule.params)
            except (OSError, ValueError):
                _log.exception("alert rule %s not evaluated", rule.name, extra={"rule": rule.name})
                continue
            apply_findings(
                session,
                rule,
                findings,
                by_rule[rule.name],
                channels=list(channels),
                now=now,
                changes=changes,
            )
        result_ids = ([i.id for i in changes.opened], [i.id for i in changes.resolved])
    for incident in changes.opened:
        _log.warning(
            "alert opened: %s %s",
            incident.rule,
            incident.subject,
            extra={"incident_id": incident.id, "rule": incident.rule, "subject": incident.subject},
        )
    for incident in changes.resolved:
        _log.info(
            "alert resolved: %s %s",
            incident.rule,
            incident.subject,
            extra={"incident_id": incident.id, "rule": incident.rule, "subject": incident.subject},
        )
    sent = send_unsent(session_factory, channels, now=now)
    return CheckResult(opened=result_ids[0], resolved=result_ids[1], sent=sent)


def run_alerts(
    settings: Settings,
    session_factory: sessionmaker[Session],
    rules: Sequence[AlertRule],
    *,
    clock: Callable[[], datetime],
    stop: threading.Event,
) -> None:
    """Pass every ``HUB_ALERT_INTERVAL_S`` until ``stop``, when this worker has the turn."""
    # The turn lasts a little less than the interval, so the same worker's next pass finds
    # it free while a second worker's, started a moment later, does not.
    turn = timedelta(seconds=settings.alert_interval_s * 0.9)

    def one_pass(now: datetime) -> None:
        with session_factory.begin() as session:
            mine = claim_job(session, ALERTS_JOB, now=now, until=now + turn)
        if mine:
            check_alerts(settings, session_factory, rules, now=now)

    run_every(one_pass, clock=clock, interval_s=settings.alert_interval_s, stop=stop, name="alerts")
