"""The case tracker: each accepted message updates its case, in the message's own transaction.

One handler per message type reads the payload, checks the message against the
case, and only then changes anything: a message that contradicts the case (a
status for an unknown action, a plan for a closed case, a decision before the
consent the region requires) is kept in the log and delivered, but recorded as a
``CaseConflict`` and not applied, so it never corrupts the projection. The
conflicts go back to the sender in the hub's receipt.

The projection is a function of the log: ``rebuild_cases`` replays it in order
and must give what the live projection gave (``now`` is each message's
``received_at``, so deadlines come out the same).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree
from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import Session

from hub.cases import payload as p
from hub.cases.deadlines import (
    FINISHED_STATUSES,
    TAKEN_STATUSES,
    find_deadline,
    meet_deadline,
    open_deadline,
    stop_all_deadlines,
)
from hub.regions import Region, RegionRules
from hub.store import (
    CaseAction,
    CaseActionStatus,
    CaseConflict,
    CaseDeadline,
    CaseFile,
    CasePlan,
    CaseReferral,
    CaseReport,
    MessageLog,
)
from schemas import EnvelopeHeader, payload_of
from signing import HUB_SYSTEM_CODE

#: The lifecycle, in order; a case only moves forward along it.
STATES = (
    "signal",
    "survey",
    "consent",
    "decision",
    "plan",
    "implementation",
    "closure",
    "post_support",
)


@dataclass(frozen=True)
class CaseConflictNote:
    """Why a message was not applied to its case (told to the sender in the receipt)."""

    code: str
    detail: str


class _Contradiction(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.note = CaseConflictNote(code, detail)


@dataclass
class _Message:
    """What a handler gets: the session, the message and its log row, and the time."""

    session: Session
    header: EnvelopeHeader
    payload: etree._Element
    logged: MessageLog
    now: datetime


#: Built once: a signal that names no case yet (the bench's whole mix) is just this row.
_ADD_REFERRAL = insert(CaseReferral)


# Lookups run several times per message: built once, still through the ORM (and its
# autoflush), since the handlers change the rows they load.
_CASE = select(CaseFile).where(CaseFile.case_ref == bindparam("case_ref"))
_ACTION = select(CaseAction).where(
    CaseAction.case_id == bindparam("case_id"), CaseAction.action_id == bindparam("action_id")
)


def find_case(session: Session, case_ref: str) -> CaseFile | None:
    return session.scalar(_CASE, {"case_ref": case_ref})


class CaseProjector:
    """Applies messages to cases by the region rules. Built once; holds no per-message state."""

    def __init__(self, regions: RegionRules) -> None:
        self._regions = regions
        self._handlers: dict[str, Callable[[_Message, CaseFile], None]] = {
            "ReferralReceipt": self._receipt,
            "SurveyAct": self._survey,
            "ConsentRecord": self._consent,
            "CaseDecision": self._decision,
            "SupportPlan": self._plan,
            "ActionAssignment": self._assignment,
            "ActionStatusUpdate": self._status,
            "InformationRequest": self._information_request,
            "InformationResponse": self._information_response,
            "PeriodicReport": self._report,
            "CaseClosure": self._closure,
        }

    def project(
        self,
        session: Session,
        header: EnvelopeHeader,
        envelope: etree._Element,
        *,
        logged: MessageLog,
        now: datetime,
    ) -> tuple[CaseConflictNote, ...]:
        """Apply one accepted message; the conflicts it raised (none when it fit the case).

        The caller holds the ingest lock, so messages are applied one at a time, in log order.
        """
        message = _Message(session, header, payload_of(envelope), logged, now)
        if header.message_type == "FamilyReferral":
            self._referral(message)
            return ()
        if header.case_ref is None:
            return ()
        case = find_case(session, header.case_ref) or self._open_case(message, header.case_ref)
        case.updated_at = now
        handler = self._handlers.get(header.message_type)
        if handler is None:
            return ()
        try:
            handler(message, case)
        except _Contradiction as contradiction:
            _record_conflict(message, case, contradiction.note)
            return (contradiction.note,)
        session.flush()
        return ()

    def region_of(self, case: CaseFile) -> Region:
        return self._regions.get(case.region) if case.region else self._regions.default

    # Signal

    def _referral(self, m: _Message) -> None:
        family = p.find(m.payload, "Family")
        region = self._regions.region_for_address(
            p.text(family, "Address/Region") if family is not None else None
        )
        adults = p.find_all(m.payload, "Family/Adults/Adult")
        children = p.find_all(m.payload, "Family/Children/Child")
        urgent = m.header.priority == "urgent" or p.text(m.payload, "Urgency") == "urgent"
        stage = "urgent_receipt" if urgent else "receipt"
        facts = {
            "message_log_id": m.logged.id,
            "message_id": m.header.message_id,
            "sender": m.header.sender,
            "referral_id": p.required_text(m.payload, "ReferralId"),
            "detected_at": p.timestamp(m.payload, "DetectedAt") or m.now,
            "received_at": m.now,
            "urgent": urgent,
            "region": region.code,
            "family_name": p.person_name(next(iter(adults or children), None)),
            "children_count": len(children),
            "receipt_due_at": region.stage_deadlines[stage].due(m.now, region.calendar),
        }
        if m.header.case_ref is None:
            # One INSERT, not the unit of work. Nothing of the ingest is pending in the
            # session by now (the log row is flushed), so skipping autoflush loses nothing.
            m.session.connection().execute(_ADD_REFERRAL, facts)
            return
        referral = CaseReferral(**facts)
        m.session.add(referral)
        case = find_case(m.session, m.header.case_ref) or self._open_case(m, m.header.case_ref)
        _attach(referral, case)
        m.session.flush()

    def _open_case(self, m: _Message, case_ref: str) -> CaseFile:
        case = CaseFile(
            case_ref=case_ref,
            state="signal",
            urgent=False,
            region=self._regions.default.code,
            opened_at=m.now,
            updated_at=m.now,
        )
        m.session.add(case)
        m.session.flush()
        return case

    def _receipt(self, m: _Message, case: CaseFile) -> None:
        referral = m.session.scalar(
            select(CaseReferral).where(
                CaseReferral.message_id == p.required_text(m.payload, "ReferralMessageId")
            )
        )
        if referral is None:
            raise _Contradiction("case.referral_unknown", "ReferralMessageId names no referral")
        referral.receipt_at = m.now
        if p.text(m.payload, "Outcome") != "registered":
            return
        _attach(referral, case)
        case.receipt_at = case.receipt_at or m.now
        case.curator_name = p.person_name(p.find(m.payload, "Curator")) or case.curator_name
        case.curator_organisation = (
            p.text(m.payload, "ResponsibleOrganisation/Name") or case.curator_organisation
        )
        region = self.region_of(case)
        open_deadline(
            m.session,
            case,
            kind="survey",
            responsible=m.header.sender,
            due_at=region.stage_deadlines["survey"].due(m.now, region.calendar),
        )

    # Survey, consent, decision

    def _survey(self, m: _Message, case: CaseFile) -> None:
        _refuse_if_closed(case, m)
        case.survey_at = case.survey_at or m.now
        case.risk_level = p.text(m.payload, "RiskLevel") or case.risk_level
        _advance(case, "survey")
        meet_deadline(m.session, case, kind="survey", at=m.now)
        region = self.region_of(case)
        open_deadline(
            m.session,
            case,
            kind="decision",
            responsible="kdn" if case.risk_level in ("high", "critical") else m.header.sender,
            due_at=region.stage_deadlines["decision"].due(m.now, region.calendar),
        )

    def _consent(self, m: _Message, case: CaseFile) -> None:
        _refuse_if_closed(case, m)
        case.consent_status = p.text(m.payload, "Status")
        case.consent_at = m.now
        _advance(case, "consent")

    def _decision(self, m: _Message, case: CaseFile) -> None:
        _refuse_if_closed(case, m)
        outcome = p.text(m.payload, "Outcome")
        region = self.region_of(case)
        needs_consent = outcome == "recognised" and region.consent_before_decision
        if needs_consent and case.consent_status != "given":
            raise _Contradiction(
                "case.consent_missing",
                f"region {region.code} requires the family's consent before a decision; "
                f"consent is {case.consent_status or 'not recorded'}",
            )
        case.decision_outcome = outcome
        case.decision_body_kind = p.text(m.payload, "DecisionBody/Kind")
        case.decision_body_name = p.text(m.payload, "DecisionBody/Name")
        case.decision_at = m.now
        case.risk_level = p.text(m.payload, "RiskLevel") or case.risk_level
        case.curator_name = p.person_name(p.find(m.payload, "Curator")) or case.curator_name
        case.curator_organisation = (
            p.text(m.payload, "CuratorOrganisation/Name") or case.curator_organisation
        )
        _advance(case, "decision")
        meet_deadline(m.session, case, kind="decision", at=m.now)
        if outcome == "recognised":
            case.category = p.text(m.payload, "Category") or case.category
            open_deadline(
                m.session,
                case,
                kind="plan",
                responsible="social",
                due_at=region.stage_deadlines["plan"].due(m.now, region.calendar),
            )

    # Plan and actions

    def _plan(self, m: _Message, case: CaseFile) -> None:
        _refuse_if_closed(case, m)
        plan_id = p.required_text(m.payload, "PlanId")
        version = int(p.required_text(m.payload, "Version"))
        latest = m.session.scalar(
            select(func.max(CasePlan.version)).where(
                CasePlan.case_id == case.id, CasePlan.plan_id == plan_id
            )
        )
        if latest is not None and version <= latest:
            raise _Contradiction(
                "case.plan_version_stale",
                f"plan {plan_id} version {version} is not newer than version {latest}",
            )
        lines = p.find_all(m.payload, "Actions/Action")
        curator = p.person_name(p.find(m.payload, "Curator"))
        period_from = p.day(m.payload, "Period/From")
        assert period_from is not None, "Period/From is required by the XSD"
        m.session.add(
            CasePlan(
                case_id=case.id,
                message_log_id=m.logged.id,
                plan_id=plan_id,
                version=version,
                approved_at=p.timestamp(m.payload, "ApprovedAt") or m.now,
                period_from=period_from,
                period_to=p.day(m.payload, "Period/To"),
                approved_by=p.text(m.payload, "ApprovedBy"),
                curator_name=curator or "",
                goals=p.text(m.payload, "Goals"),
                actions_count=len(lines),
            )
        )
        kept = {self._put_action(m, case, plan_id, version, line) for line in lines}
        for action in _actions_of(m.session, case):
            if action.plan_id == plan_id and action.action_id not in kept:
                action.in_plan = False
                for kind in ("acceptance", "action"):
                    meet_deadline(m.session, case, kind=kind, subject=action.action_id, at=m.now)
        case.plan_at = case.plan_at or m.now
        case.curator_name = curator or case.curator_name
        _advance(case, "plan")
        meet_deadline(m.session, case, kind="plan", at=m.now)
        self._open_report_deadlines(m, case, period_from, p.day(m.payload, "Period/To"))

    def _assignment(self, m: _Message, case: CaseFile) -> None:
        _refuse_if_closed(case, m)
        self._put_action(
            m,
            case,
            p.required_text(m.payload, "PlanId"),
            int(p.required_text(m.payload, "PlanVersion")),
            m.payload,
        )

    def _put_action(
        self, m: _Message, case: CaseFile, plan_id: str, version: int, line: etree._Element
    ) -> str:
        """Create or revise one action line; returns its ActionId."""
        action_id = p.required_text(line, "ActionId")
        deadline = p.day(line, "Deadline")
        assert deadline is not None, "Deadline is required by the XSD"
        region = self.region_of(case)
        action = _find_action(m.session, case, action_id)
        if action is None:
            action = CaseAction(
                case_id=case.id, action_id=action_id, status="assigned", status_at=m.now
            )
            m.session.add(action)
        action.plan_id = plan_id
        action.plan_version = version
        action.measure = p.required_text(line, "Measure")
        action.help_type = p.required_text(line, "HelpType")
        action.responsible_agency = p.required_text(line, "ResponsibleAgency")
        action.responsible_organisation = p.text(line, "ResponsibleOrganisation/Name")
        action.specialist_name = p.person_name(p.find(line, "Specialist"))
        action.deadline = deadline
        action.due_at = region.calendar.end_of_day(deadline)
        action.notes = p.text(line, "Notes")
        action.in_plan = True
        m.session.flush()
        if action.status not in TAKEN_STATUSES:
            open_deadline(
                m.session,
                case,
                kind="acceptance",
                subject=action_id,
                responsible=action.responsible_agency,
                due_at=region.acceptance_deadline(action.help_type).due(m.now, region.calendar),
            )
        if action.status not in FINISHED_STATUSES:
            open_deadline(
                m.session,
                case,
                kind="action",
                subject=action_id,
                responsible=action.responsible_agency,
                due_at=action.due_at,
            )
        return action_id

    def _status(self, m: _Message, case: CaseFile) -> None:
        _refuse_if_closed(case, m)
        action_id = p.required_text(m.payload, "ActionId")
        action = _find_action(m.session, case, action_id)
        if action is None and case.plan_at is None:
            # Before any plan, statuses are about preparatory work (the owner's survey
            # assignment): nothing to match them against; the timeline shows them.
            return
        if action is None:
            raise _Contradiction(
                "case.action_unknown", f"action {action_id} is not in the plan of {case.case_ref}"
            )
        status = p.required_text(m.payload, "Status")
        status_at = p.timestamp(m.payload, "StatusAt") or m.now
        m.session.add(
            CaseActionStatus(
                action_row_id=action.id,
                message_log_id=m.logged.id,
                reporter=m.header.sender,
                status=status,
                status_at=status_at,
                organisation=p.text(m.payload, "ResponsibleOrganisation/Name"),
                comment=p.text(m.payload, "Comment"),
            )
        )
        action.status = status
        action.status_at = status_at
        if status in TAKEN_STATUSES:
            meet_deadline(m.session, case, kind="acceptance", subject=action_id, at=m.now)
        if status in FINISHED_STATUSES:
            meet_deadline(m.session, case, kind="action", subject=action_id, at=m.now)
        if status == "overdue" and m.header.sender == HUB_SYSTEM_CODE:
            self._mark_escalated(m, case, action_id)
        if status != "overdue":
            _advance(case, "implementation")

    def _mark_escalated(self, m: _Message, case: CaseFile, action_id: str) -> None:
        """The hub's own overdue notice is the record that the action was escalated."""
        deadline = find_deadline(m.session, case, "action", action_id)
        if deadline is not None:
            deadline.escalated_at = m.now
            deadline.escalation_message_id = m.header.message_id

    # Information, reports

    def _information_request(self, m: _Message, case: CaseFile) -> None:
        request_id = p.required_text(m.payload, "RequestId")
        due_by = p.day(m.payload, "DueBy")
        assert due_by is not None, "DueBy is required by the XSD"
        region = self.region_of(case)
        # The request's own date, but never longer than the region allows.
        due_at = min(
            region.calendar.end_of_day(due_by),
            region.stage_deadlines["information_response"].due(m.now, region.calendar),
        )
        for recipient in m.header.recipients:
            open_deadline(
                m.session,
                case,
                kind="information_response",
                subject=f"{request_id}:{recipient}",
                responsible=recipient,
                due_at=due_at,
            )

    def _information_response(self, m: _Message, case: CaseFile) -> None:
        request_id = p.required_text(m.payload, "RequestId")
        meet_deadline(
            m.session,
            case,
            kind="information_response",
            subject=f"{request_id}:{m.header.sender}",
            at=m.now,
        )

    def _report(self, m: _Message, case: CaseFile) -> None:
        period_from = p.day(m.payload, "Period/From")
        assert period_from is not None, "Period/From is required by the XSD"
        m.session.add(
            CaseReport(
                case_id=case.id,
                message_log_id=m.logged.id,
                report_id=p.required_text(m.payload, "ReportId"),
                sender=m.header.sender,
                plan_id=p.required_text(m.payload, "PlanId"),
                period_from=period_from,
                period_to=p.day(m.payload, "Period/To"),
                received_at=m.now,
                summary=p.text(m.payload, "Summary"),
            )
        )
        running = m.session.scalars(
            select(CaseDeadline)
            .where(
                CaseDeadline.case_id == case.id,
                CaseDeadline.kind == "report",
                CaseDeadline.responsible == m.header.sender,
                CaseDeadline.met_at.is_(None),
            )
            .order_by(CaseDeadline.due_at)
        ).first()
        if running is not None:
            running.met_at = m.now
            self._open_next_report(m, case, m.header.sender, after=running.subject)
        if case.closed_at is None:
            _advance(case, "implementation")

    def _open_report_deadlines(
        self, m: _Message, case: CaseFile, start: date, end: date | None
    ) -> None:
        """Each executor (not the owner) reports once per period the region sets."""
        executors = {
            a.responsible_agency
            for a in _actions_of(m.session, case)
            if a.in_plan and a.responsible_agency != "social"
        }
        region = self.region_of(case)
        first_end = _months_after(start, region.report_period_months)
        if end is not None and first_end > end:
            first_end = end
        for agency in sorted(executors):
            exists = m.session.scalar(
                select(func.count())
                .select_from(CaseDeadline)
                .where(
                    CaseDeadline.case_id == case.id,
                    CaseDeadline.kind == "report",
                    CaseDeadline.responsible == agency,
                )
            )
            if not exists:
                self._open_report(m, case, agency, first_end)

    def _open_next_report(self, m: _Message, case: CaseFile, agency: str, *, after: str) -> None:
        previous_end = date.fromisoformat(after.split(":", 1)[1])
        region = self.region_of(case)
        next_end = _months_after(previous_end, region.report_period_months)
        plan_end = m.session.scalar(
            select(func.max(CasePlan.period_to)).where(CasePlan.case_id == case.id)
        )
        if plan_end is None or next_end <= plan_end:
            self._open_report(m, case, agency, next_end)

    def _open_report(self, m: _Message, case: CaseFile, agency: str, period_end: date) -> None:
        region = self.region_of(case)
        open_deadline(
            m.session,
            case,
            kind="report",
            subject=f"{agency}:{period_end.isoformat()}",
            responsible=agency,
            due_at=region.report_grace.due(region.calendar.end_of_day(period_end), region.calendar),
        )

    # Closure

    def _closure(self, m: _Message, case: CaseFile) -> None:
        _refuse_if_closed(case, m)
        closed_at = p.timestamp(m.payload, "ClosedAt") or m.now
        case.closed_at = closed_at
        case.closure_reason = p.text(m.payload, "Reason")
        support_from = p.day(m.payload, "PostSupport/From")
        support_to = p.day(m.payload, "PostSupport/To")
        if support_from is not None and support_to is None:
            support_to = _months_after(support_from, self.region_of(case).post_support_months)
        case.post_support_until = support_to
        _advance(case, "post_support" if support_from is not None else "closure")
        stop_all_deadlines(m.session, case, at=m.now)


def _attach(referral: CaseReferral, case: CaseFile) -> None:
    """The case takes its family, region and signal from its first referral."""
    referral.case = case
    if case.signal_at is None or referral.detected_at < case.signal_at:
        case.signal_at = referral.detected_at
    if case.family_name is None:
        case.family_name = referral.family_name
        case.children_count = referral.children_count
        case.region = referral.region
        case.referrer = referral.sender
    case.urgent = case.urgent or referral.urgent


def _advance(case: CaseFile, state: str) -> None:
    if STATES.index(state) > STATES.index(case.state):
        case.state = state


def _refuse_if_closed(case: CaseFile, m: _Message) -> None:
    if case.closed_at is not None:
        raise _Contradiction(
            "case.closed",
            f"{m.header.message_type} for case {case.case_ref}, closed on "
            f"{case.closed_at.date().isoformat()}",
        )


def _find_action(session: Session, case: CaseFile, action_id: str) -> CaseAction | None:
    return session.scalar(_ACTION, {"case_id": case.id, "action_id": action_id})


def _actions_of(session: Session, case: CaseFile) -> list[CaseAction]:
    return list(session.scalars(select(CaseAction).where(CaseAction.case_id == case.id)))


def _record_conflict(m: _Message, case: CaseFile, note: CaseConflictNote) -> None:
    m.session.add(
        CaseConflict(
            case_id=case.id,
            message_log_id=m.logged.id,
            sender=m.header.sender,
            message_type=m.header.message_type,
            code=note.code,
            detail=note.detail[:500],
            detected_at=m.now,
        )
    )
    m.session.flush()


def _months_after(start: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day_of_month in range(start.day, 27, -1):
        try:
            return date(year, month, day_of_month)
        except ValueError:
            continue
    return date(year, month, min(start.day, 28))
