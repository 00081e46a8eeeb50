"""The case tracker: each accepted message updates its case, in the message's own transaction.

One handler per message type takes the typed payload (``schemas.canonical``, read
once by the ingest), checks the message against the case, and only then changes
anything: a message that contradicts the case (a
status for an unknown action, a plan for a closed case, a decision before the
consent the region requires) is kept in the log and delivered, but recorded as a
``CaseConflict`` and not applied, so it never corrupts the projection. The
conflicts go back to the sender in the hub's receipt.

Every case belongs to a region, and never to one by default: a case opened by a
referral takes the region of the family's address (ingest refused any other); one first
named by another message takes its referral's (the receipt that registers it names
the referral), else the region whose prefix its number carries, else the message is
refused (``routing.case_region_unknown``). A number registered for a referral must
carry the prefix of the referral's region (``case.region_mismatch``, a conflict).

The projection is a function of the log: ``rebuild_cases`` replays it in order
and must give what the live projection gave (``now`` is each message's
``received_at``, so deadlines come out the same).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import Session

from hub.cases.curators import name_curator
from hub.cases.deadlines import (
    FINISHED_STATUSES,
    TAKEN_STATUSES,
    counts_hours,
    drop_deadline,
    find_deadline,
    mark_met,
    meet_deadline,
    open_deadline,
    withdraw_open_deadlines,
)
from hub.errors import Rejection
from hub.regions import Region, RegionRules
from hub.store import (
    CaseAction,
    CaseActionStatus,
    CaseConflict,
    CaseConsent,
    CaseDeadline,
    CaseFile,
    CasePlan,
    CaseReferral,
    CaseReport,
    Partner,
    agency_of,
)
from schemas import EnvelopeHeader
from schemas import canonical as c
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
    """What a handler gets besides its payload: the session, the header, the log row's id, the
    time."""

    session: Session
    header: EnvelopeHeader
    log_id: int
    now: datetime


#: Built once: a signal that names no case yet (the bench's whole mix) is just this row.
_ADD_REFERRAL = insert(CaseReferral)


# Lookups run several times per message: built once, still through the ORM (and its
# autoflush), since the handlers change the rows they load.
_CASE = select(CaseFile).where(CaseFile.case_ref == bindparam("case_ref"))
_EXECUTOR = select(Partner.adapter, Partner.organisation).where(Partner.code == bindparam("code"))
_ACTION = select(CaseAction).where(
    CaseAction.case_id == bindparam("case_id"), CaseAction.action_id == bindparam("action_id")
)


def find_case(session: Session, case_ref: str) -> CaseFile | None:
    return session.scalar(_CASE, {"case_ref": case_ref})


class CaseProjector:
    """Applies messages to cases by the region rules. Built once; holds no per-message state."""

    def __init__(self, regions: RegionRules) -> None:
        self._regions = regions

    def project(
        self,
        session: Session,
        header: EnvelopeHeader,
        payload: c.Payload,
        *,
        log_id: int,
        now: datetime,
    ) -> tuple[CaseConflictNote, ...]:
        """Apply one accepted message, logged as ``message_log.id`` ``log_id``; the conflicts
        it raised (none when it fit the case).

        The caller holds the ingest lock, so messages are applied one at a time, in log order.
        """
        message = _Message(session, header, log_id, now)
        if isinstance(payload, c.FamilyReferral):
            return self._referral(message, payload)
        if header.case_ref is None:
            return ()
        case = find_case(session, header.case_ref) or self._open_case(
            message, header.case_ref, self._region_of_new_case(message, payload, header.case_ref)
        )
        case.updated_at = now
        try:
            applied = self._apply(message, case, payload)
        except _Contradiction as contradiction:
            _record_conflict(message, case, contradiction.note)
            return (contradiction.note,)
        if applied:
            session.flush()
        return ()

    def _apply(self, m: _Message, case: CaseFile, payload: c.Payload) -> bool:
        """Hand the payload to its type's handler; False for a type that changes no case."""
        match payload:
            case c.ReferralReceipt():
                self._receipt(m, case, payload)
            case c.SurveyAct():
                self._survey(m, case, payload)
            case c.ConsentRecord():
                self._consent(m, case, payload)
            case c.CaseDecision():
                self._decision(m, case, payload)
            case c.SupportPlan():
                self._plan(m, case, payload)
            case c.ActionAssignment():
                self._assignment(m, case, payload)
            case c.ActionStatusUpdate():
                self._status(m, case, payload)
            case c.InformationRequest():
                self._information_request(m, case, payload)
            case c.InformationResponse():
                self._information_response(m, case, payload)
            case c.PeriodicReport():
                self._report(m, case, payload)
            case c.CaseClosure():
                self._closure(m, case, payload)
            case _:
                return False
        return True

    def region_of(self, case: CaseFile) -> Region:
        return self._regions.for_case(case.region)

    # Signal

    def _referral(self, m: _Message, referral: c.FamilyReferral) -> tuple[CaseConflictNote, ...]:
        region = self._region_of_address(referral.address.region)
        urgent = m.header.priority == "urgent" or referral.urgency == "urgent"
        stage = "urgent_receipt" if urgent else "receipt"
        # The family goes by its first adult's name, else its first child's.
        people: list[c.Adult | c.Child] = [*referral.adults, *referral.children]
        first_named = people[0] if people else None
        facts = {
            "message_log_id": m.log_id,
            "message_id": m.header.message_id,
            "sender": m.header.sender,
            "referral_id": referral.referral_id,
            "detected_at": referral.detected_at.astimezone(UTC),
            "received_at": m.now,
            "urgent": urgent,
            "region": region.code,
            "family_name": None if first_named is None else _full_name(first_named.name),
            "children_count": len(referral.children),
            "receipt_due_at": region.stage_deadlines[stage].due(m.now, region.calendar),
        }
        if m.header.case_ref is None:
            # One INSERT, not the unit of work. Nothing of the ingest is pending in the
            # session by now (the log row is flushed), so skipping autoflush loses nothing.
            m.session.connection().execute(_ADD_REFERRAL, facts)
            return ()
        row = CaseReferral(**facts)
        m.session.add(row)
        case_ref = m.header.case_ref
        case = find_case(m.session, case_ref) or self._open_case(m, case_ref, region)
        try:
            _refuse_other_numbering(case, region)
        except _Contradiction as contradiction:
            _record_conflict(m, case, contradiction.note)
            return (contradiction.note,)
        _attach(row, case)
        m.session.flush()
        return ()

    def _region_of_address(self, address_region: str) -> Region:
        """The region of a referral's address; ingest refused every other referral.

        Raises:
            LookupError: a logged referral of a region no file serves any more (a
                rebuild after its file was removed): put the file back to rebuild.
        """
        region = self._regions.find_for_address(address_region)
        if region is None:
            raise LookupError("a logged referral names a region no region file serves")
        return region

    def _region_of_new_case(self, m: _Message, payload: c.Payload, case_ref: str) -> Region:
        """The region of a case a message other than a referral names first: its
        referral's, when the message is the receipt that registers one, else the region
        whose prefix the number carries. Partners are registered without a region, so
        the sender cannot tell it.

        Raises:
            Rejection: ``routing.case_region_unknown``: neither tells (a case whose
                region cannot be known is never opened: no supervisor would see it).
        """
        if isinstance(payload, c.ReferralReceipt):
            referral = _find_referral(m.session, payload.referral_message_id)
            if referral is not None:
                return self._regions.get(referral.region)
        region = self._regions.find_numbering(case_ref)
        if region is None:
            prefixes = sorted(f"{r.case_prefix}-" for r in self._regions.regions.values())
            raise Rejection(
                "routing.case_region_unknown",
                f"CaseRef {case_ref} names no case; case numbers begin with {', '.join(prefixes)}",
            )
        return region

    def _open_case(self, m: _Message, case_ref: str, region: Region) -> CaseFile:
        case = CaseFile(
            case_ref=case_ref,
            state="signal",
            urgent=False,
            region=region.code,
            opened_at=m.now,
            updated_at=m.now,
        )
        m.session.add(case)
        m.session.flush()
        return case

    def _receipt(self, m: _Message, case: CaseFile, receipt: c.ReferralReceipt) -> None:
        referral = _find_referral(m.session, receipt.referral_message_id)
        if referral is None:
            raise _Contradiction("case.referral_unknown", "ReferralMessageId names no referral")
        if receipt.outcome == "registered":
            _refuse_other_numbering(case, self._regions.get(referral.region))
        referral.receipt_at = m.now
        if receipt.outcome != "registered":
            return
        _attach(referral, case)
        case.receipt_at = case.receipt_at or m.now
        self._name_curator(m, case, receipt.curator)
        case.curator_organisation = receipt.organisation.name
        region = self.region_of(case)
        rule = region.stage_deadlines["survey"]
        open_deadline(
            m.session,
            case,
            kind="survey",
            responsible=m.header.sender,
            due_at=rule.due(m.now, region.calendar),
            in_hours=counts_hours(rule),
        )

    # Survey, consent, decision

    def _survey(self, m: _Message, case: CaseFile, survey: c.SurveyAct) -> None:
        _refuse_if_closed(case, m)
        case.survey_at = case.survey_at or m.now
        case.risk_level = survey.risk_level
        _advance(case, "survey")
        meet_deadline(m.session, case, kind="survey", at=m.now)
        region = self.region_of(case)
        rule = region.stage_deadlines["decision"]
        open_deadline(
            m.session,
            case,
            kind="decision",
            responsible=region.decision_partner(_category_for_risk(survey.risk_level)),
            due_at=rule.due(m.now, region.calendar),
            in_hours=counts_hours(rule),
        )

    def _consent(self, m: _Message, case: CaseFile, consent: c.ConsentRecord) -> None:
        _refuse_if_closed(case, m)
        case.consent_status = consent.status
        case.consent_at = m.now
        _advance(case, "consent")
        _record_consent(m, case, consent)

    def _decision(self, m: _Message, case: CaseFile, decision: c.CaseDecision) -> None:
        _refuse_if_closed(case, m)
        outcome = decision.outcome
        region = self.region_of(case)
        needs_consent = outcome == "recognised" and region.consent_before_decision
        if needs_consent and case.consent_status != "given":
            raise _Contradiction(
                "case.consent_missing",
                f"region {region.code} requires the family's consent before a decision; "
                f"consent is {case.consent_status or 'not recorded'}",
            )
        case.decision_outcome = outcome
        case.decision_body_kind = decision.decision_body.kind
        case.decision_body_name = decision.decision_body.name
        case.decision_at = m.now
        case.risk_level = decision.risk_level or case.risk_level
        self._name_curator(m, case, decision.curator)
        if decision.curator_organisation is not None:
            case.curator_organisation = decision.curator_organisation.name
        _advance(case, "decision")
        meet_deadline(m.session, case, kind="decision", at=m.now)
        if outcome == "recognised":
            case.category = decision.category or case.category
            rule = region.stage_deadlines["plan"]
            open_deadline(
                m.session,
                case,
                kind="plan",
                responsible=region.case_owner,
                due_at=rule.due(m.now, region.calendar),
                in_hours=counts_hours(rule),
            )

    def _name_curator(self, m: _Message, case: CaseFile, curator: c.Curator | None) -> None:
        if curator is None:
            return
        # Only the case owner's staff ids bind accounts (hub.cases.curators).
        owner = m.header.sender == self.region_of(case).case_owner
        staff_id = curator.staff_id if owner else None
        name_curator(case, staff_id=staff_id, name=_full_name(curator.name), at=m.now)

    # Plan and actions

    def _plan(self, m: _Message, case: CaseFile, plan: c.SupportPlan) -> None:
        _refuse_if_closed(case, m)
        plan_id, version = plan.plan_id, plan.version
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
        curator = _full_name(plan.curator.name)
        m.session.add(
            CasePlan(
                case_id=case.id,
                message_log_id=m.log_id,
                plan_id=plan_id,
                version=version,
                approved_at=plan.approved_at.astimezone(UTC),
                period_from=plan.period.start,
                period_to=plan.period.end,
                approved_by=plan.approved_by,
                curator_name=curator,
                goals=plan.goals,
                actions_count=len(plan.actions),
            )
        )
        kept = {self._put_action(m, case, plan_id, version, line) for line in plan.actions}
        for action in _actions_of(m.session, case):
            if action.plan_id == plan_id and action.action_id not in kept:
                action.in_plan = False
                for kind in ("acceptance", "action"):
                    drop_deadline(m.session, case, kind=kind, subject=action.action_id, at=m.now)
        case.plan_at = case.plan_at or m.now
        self._name_curator(m, case, plan.curator)
        _advance(case, "plan")
        meet_deadline(m.session, case, kind="plan", at=m.now)
        self._open_report_deadlines(m, case, plan.period.start, plan.period.end)

    def _assignment(self, m: _Message, case: CaseFile, assignment: c.ActionAssignment) -> None:
        _refuse_if_closed(case, m)
        self._put_action(m, case, assignment.plan_id, assignment.plan_version, assignment)

    def _put_action(
        self,
        m: _Message,
        case: CaseFile,
        plan_id: str,
        version: int,
        line: c.PlanAction | c.ActionAssignment,
    ) -> str:
        """Create or revise one action line (of a plan, or sent alone); returns its ActionId."""
        action_id = line.action_id
        region = self.region_of(case)
        executor = line.responsible_agency
        agency, registered_name = _executor_of(m.session, executor)
        action = _find_action(m.session, case, action_id)
        if action is None:
            action = CaseAction(
                case_id=case.id, action_id=action_id, status="assigned", status_at=m.now
            )
            m.session.add(action)
        # Only a plan's line names the executing organisation and carries notes.
        organisation, notes = (
            (line.responsible_organisation, line.notes)
            if isinstance(line, c.PlanAction)
            else (None, None)
        )
        action.plan_id = plan_id
        action.plan_version = version
        action.measure = line.measure
        action.help_type = line.help_type
        action.executor = executor
        action.responsible_agency = agency
        action.responsible_organisation = registered_name or (
            None if organisation is None else organisation.name
        )
        action.specialist_name = _specialist_name(line.specialist)
        action.specialist_position = None if line.specialist is None else line.specialist.position
        action.specialist_phone = None if line.specialist is None else line.specialist.phone
        action.deadline = line.deadline
        action.due_at = region.calendar.end_of_day(line.deadline)
        action.notes = notes
        action.in_plan = True
        m.session.flush()
        if action.status not in TAKEN_STATUSES:
            rule = region.acceptance_deadline(action.help_type)
            open_deadline(
                m.session,
                case,
                kind="acceptance",
                subject=action_id,
                responsible=action.executor,
                due_at=rule.due(m.now, region.calendar),
                in_hours=counts_hours(rule),
            )
        if action.status not in FINISHED_STATUSES:
            open_deadline(
                m.session,
                case,
                kind="action",
                subject=action_id,
                responsible=action.executor,
                due_at=action.due_at,
            )
        return action_id

    def _status(self, m: _Message, case: CaseFile, update: c.ActionStatusUpdate) -> None:
        _refuse_if_closed(case, m)
        action_id = update.action_id
        action = _find_action(m.session, case, action_id)
        if action is None and case.plan_at is None:
            # Before any plan, statuses are about preparatory work (the owner's survey
            # assignment): nothing to match them against; the timeline shows them.
            return
        if action is None:
            raise _Contradiction(
                "case.action_unknown", f"action {action_id} is not in the plan of {case.case_ref}"
            )
        _refuse_other_executor(m, action)
        status = update.status
        status_at = update.status_at.astimezone(UTC)
        m.session.add(
            CaseActionStatus(
                action_row_id=action.id,
                message_log_id=m.log_id,
                reporter=m.header.sender,
                status=status,
                status_at=status_at,
                organisation=update.organisation.name,
                comment=update.comment,
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

    def _information_request(
        self, m: _Message, case: CaseFile, request: c.InformationRequest
    ) -> None:
        region = self.region_of(case)
        rule = region.stage_deadlines["information_response"]
        # The request's own date, but never longer than the region allows.
        requested = region.calendar.end_of_day(request.due_by)
        allowed = rule.due(m.now, region.calendar)
        for recipient in m.header.recipients:
            open_deadline(
                m.session,
                case,
                kind="information_response",
                subject=f"{request.request_id}:{recipient}",
                responsible=recipient,
                due_at=min(requested, allowed),
                in_hours=allowed < requested and counts_hours(rule),
            )

    def _information_response(
        self, m: _Message, case: CaseFile, response: c.InformationResponse
    ) -> None:
        meet_deadline(
            m.session,
            case,
            kind="information_response",
            subject=f"{response.request_id}:{m.header.sender}",
            at=m.now,
        )

    def _report(self, m: _Message, case: CaseFile, report: c.PeriodicReport) -> None:
        m.session.add(
            CaseReport(
                case_id=case.id,
                message_log_id=m.log_id,
                report_id=report.report_id,
                sender=m.header.sender,
                plan_id=report.plan_id,
                period_from=report.period.start,
                period_to=report.period.end,
                received_at=m.now,
                summary=report.summary,
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
            mark_met(running, at=m.now)
            self._open_next_report(m, case, m.header.sender, after=running.subject)
        if case.closed_at is None:
            _advance(case, "implementation")

    def _open_report_deadlines(
        self, m: _Message, case: CaseFile, start: date, end: date | None
    ) -> None:
        """Each executor (not the case owner's agency) reports once per period the region sets."""
        region = self.region_of(case)
        executors = {
            a.executor
            for a in _actions_of(m.session, case)
            if a.in_plan and a.responsible_agency != region.case_owner
        }
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
        rule = region.report_grace
        open_deadline(
            m.session,
            case,
            kind="report",
            subject=f"{agency}:{period_end.isoformat()}",
            responsible=agency,
            due_at=rule.due(region.calendar.end_of_day(period_end), region.calendar),
            in_hours=counts_hours(rule),
        )

    # Closure

    def _closure(self, m: _Message, case: CaseFile, closure: c.CaseClosure) -> None:
        _refuse_if_closed(case, m)
        case.closed_at = closure.closed_at.astimezone(UTC)
        case.closure_reason = closure.reason
        support = closure.post_support
        support_to = None if support is None else support.end
        if support is not None and support_to is None:
            support_to = _months_after(support.start, self.region_of(case).post_support_months)
        case.post_support_until = support_to
        _advance(case, "post_support" if support is not None else "closure")
        # Withdrawn, not met: the reports and actions still owed were never delivered.
        withdraw_open_deadlines(m.session, case, at=m.now)


def _category_for_risk(risk_level: str) -> str:
    """The category a survey's risk points to, so the body that decides it is asked.

    A high or critical risk is a socially dangerous position (СОП); anything less a
    difficult life situation (ТЖС). The decision itself may still say otherwise.
    """
    return "sop" if risk_level in ("high", "critical") else "tjs"


def _full_name(name: c.PersonName) -> str:
    """ "LastName FirstName MiddleName", as the pages show a person."""
    return " ".join(part for part in (name.last, name.first, name.middle) if part)


def _specialist_name(specialist: c.Specialist | None) -> str | None:
    return None if specialist is None else _full_name(specialist.name)


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


def _refuse_other_numbering(case: CaseFile, region: Region) -> None:
    """A referral joins only a case numbered by its family's region ("KLG-…" in Kaluga)."""
    if not region.numbers(case.case_ref):
        raise _Contradiction(
            "case.region_mismatch",
            f"case {case.case_ref} is not numbered {region.case_prefix}-…, the prefix of "
            f"region {region.code}, where the family lives",
        )


def _find_referral(session: Session, message_id: str) -> CaseReferral | None:
    return session.scalar(select(CaseReferral).where(CaseReferral.message_id == message_id))


def _refuse_if_closed(case: CaseFile, m: _Message) -> None:
    if case.closed_at is not None:
        raise _Contradiction(
            "case.closed",
            f"{m.header.message_type} for case {case.case_ref}, closed on "
            f"{case.closed_at.date().isoformat()}",
        )


def _executor_of(session: Session, executor: str) -> tuple[str, str | None]:
    """The executor's agency, and the registered name of an organisation executor (a school,
    not its agency's own system): the hub delivers the action there, so the pages name it.
    A code no partner has is its own agency, with no name."""
    row = session.connection().execute(_EXECUTOR, {"code": executor}).first()
    if row is None:
        return executor, None
    return row.adapter, None if row.adapter == executor else row.organisation


def _refuse_other_executor(m: _Message, action: CaseAction) -> None:
    """Another partner of the executor's agency (school B on school A's action) may not
    report on it; the case owner, the commission and the hub may, as before."""
    sender = m.header.sender
    if sender != action.executor and agency_of(m.session, sender) == action.responsible_agency:
        raise _Contradiction(
            "case.action_not_executor",
            f"action {action.action_id} is executed by {action.executor}, not by {sender}",
        )


def _find_action(session: Session, case: CaseFile, action_id: str) -> CaseAction | None:
    return session.scalar(_ACTION, {"case_id": case.id, "action_id": action_id})


def _actions_of(session: Session, case: CaseFile) -> list[CaseAction]:
    return list(session.scalars(select(CaseAction).where(CaseAction.case_id == case.id)))


def _record_consent(m: _Message, case: CaseFile, consent: c.ConsentRecord) -> None:
    """Keep the consent as it now stands: a later record of its ConsentId replaces it."""
    row = m.session.scalar(
        select(CaseConsent).where(
            CaseConsent.case_id == case.id, CaseConsent.consent_id == consent.consent_id
        )
    )
    if row is None:
        row = CaseConsent(case_id=case.id, consent_id=consent.consent_id)
        m.session.add(row)
    row.message_log_id = m.log_id
    row.status = consent.status
    row.scopes = ",".join(sorted(consent.scopes))
    row.valid_until = consent.valid_until
    row.recorded_at = consent.recorded_at.astimezone(UTC)


def _record_conflict(m: _Message, case: CaseFile, note: CaseConflictNote) -> None:
    m.session.add(
        CaseConflict(
            case_id=case.id,
            message_log_id=m.log_id,
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
