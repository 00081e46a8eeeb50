"""What a person may read of the cases: the list and one case, filtered by their ``Viewer``.

The read side of the case tracker. Every function takes a ``Viewer`` and applies the
need-to-know rules of ``hub.cases.scope`` itself — scope (which cases), rows (an
officer's own action lines, deadlines and messages) and fields (identity and the
strippable classes) — and hands back frozen dataclasses, never ORM rows, so a page
or endpoint cannot show more than the viewer may see. Nothing here writes or commits.
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select
from sqlalchemy.orm import Session, selectinload

from hub.cases.deadlines import (
    DeadlineStanding,
    DeadlineState,
    calendar_of,
    classify_action,
    classify_deadline,
    due_text,
    format_due,
    standing_text,
)
from hub.cases.scope import Role, Viewer
from hub.errors import NotFound
from hub.regions import RegionRules, WorkingCalendar
from hub.store import (
    CaseAction,
    CaseConflict,
    CaseDeadline,
    CaseFile,
    CasePlan,
    CaseReferral,
    DeadlineOutcome,
    MessageLog,
    agency_codes,
    agency_partners_sql,
)

#: Action statuses after which nothing more is owed on the line.
FINISHED_ACTION_STATUSES = frozenset({"done", "cannot_execute"})
_V = TypeVar("_V")

#: The status the hub's deadline job (or the executor) sets on a late line.
OVERDUE_STATUS = "overdue"


class CaseNotVisible(NotFound):
    """The case does not exist, or the viewer's scope does not include it (indistinguishable)."""

    def __init__(self, case_ref: str) -> None:
        super().__init__("case", case_ref)
        self.case_ref = case_ref


@dataclass(frozen=True)
class CaseFilters:
    """What the list of cases is narrowed to; every field None or False means all in scope.

    ``text`` matches part of the case reference and, for viewers who see identity,
    of the family name, ignoring case, ё/е and runs of spaces.
    """

    state: str | None = None
    category: str | None = None
    overdue_only: bool = False
    text: str | None = None
    region: str | None = None

    def audit_detail(self) -> str:
        """The filters as ``k=v`` pairs for the audit log; a search text is never written out.

        The text may be a family name, and the audit detail holds no personal data.
        """
        pairs = [
            f"{key}={value}"
            for key, value in (
                ("state", self.state),
                ("category", self.category),
                ("region", self.region),
            )
            if value
        ]
        if self.overdue_only:
            pairs.append("overdue_only=1")
        if self.text:
            pairs.append("text=1")
        return " ".join(pairs)


@dataclass(frozen=True)
class CaseSummary:
    """One line of the case list; identity fields are None for viewers who may not see them."""

    case_ref: str
    region: str | None
    state: str
    category: str | None
    risk_level: str | None
    urgent: bool
    #: [identity]
    family_name: str | None
    children_count: int | None
    #: [identity]
    curator_name: str | None
    opened_at: datetime
    #: The earliest open deadline or open action due time in the viewer's scope; None
    #: once the case is closed (closure withdraws every clock).
    next_deadline: datetime | None
    #: ``next_deadline`` as every page shows a due date (see ``deadlines.due_text``).
    next_deadline_text: str | None
    #: Late now: overdue action lines plus overdue deadlines (an action's own deadline
    #: counted once).
    overdue_count: int
    #: Was late: deadlines met after their due time (a line's own and its acceptance).
    late_done_count: int
    conflict_count: int


@dataclass(frozen=True)
class PlanView:
    """One version of the support plan."""

    plan_id: str
    version: int
    approved_at: datetime
    period_from: date
    period_to: date | None
    approved_by: str | None
    #: [identity]
    curator_name: str | None
    #: [social]
    goals: str | None
    actions_count: int
    #: The version in force: the latest approved.
    current: bool


@dataclass(frozen=True)
class StatusView:
    """One reported status of an action line."""

    reporter: str
    status: str
    status_at: datetime
    organisation: str | None
    #: [social]
    comment: str | None


@dataclass(frozen=True)
class ActionView:
    """An action line of the plan as it stands, with its status history."""

    action_id: str
    plan_id: str
    plan_version: int
    measure: str
    help_type: str
    responsible_agency: str
    #: The partner the action goes to: the agency's own system or an organisation of it.
    executor: str
    responsible_organisation: str | None
    #: [identity] the executor's specialist for the action and how to reach them.
    specialist_name: str | None
    specialist_position: str | None
    specialist_phone: str | None
    deadline: date
    due_at: datetime
    status: str
    status_at: datetime
    in_plan: bool
    #: [social]
    notes: str | None
    #: Late now (see ``is_action_overdue``).
    overdue: bool
    #: Where the line stands against its due date (``deadlines.classify_action``).
    state: DeadlineState
    #: For a line late now or done late: calendar days late in the region's time zone.
    days_late: int
    #: The due date as shown everywhere: «01.12.2026».
    due_text: str
    #: The Russian mark of ``state``: «исполнено с опозданием на 4 дн.».
    mark: str
    history: tuple[StatusView, ...]


@dataclass(frozen=True)
class ReportView:
    """A periodic report an executor sent."""

    report_id: str
    sender: str
    plan_id: str
    period_from: date
    period_to: date | None
    received_at: datetime
    #: [social]
    summary: str | None


@dataclass(frozen=True)
class DeadlineView:
    """Something due on the case (see ``CaseDeadline``) and where it stands now."""

    kind: str
    subject: str
    responsible: str
    due_at: datetime
    #: The rule counts hours: ``due_text`` shows the time too.
    in_hours: bool
    #: When the clock stopped (met, withdrawn or dropped: ``outcome``); None while it runs.
    met_at: datetime | None
    outcome: DeadlineOutcome | None
    escalated_at: datetime | None
    #: Late now.
    overdue: bool
    state: DeadlineState
    days_late: int
    #: The due date as shown everywhere: «01.12.2026», or «01.12.2026 15:30» in hours.
    due_text: str
    #: The Russian mark of ``state``.
    mark: str


@dataclass(frozen=True)
class ConflictView:
    """A message that contradicted the case; ``detail`` is machine-made, never personal data."""

    sender: str
    message_type: str
    code: str
    detail: str
    detected_at: datetime


@dataclass(frozen=True)
class DeliveryView:
    """One recipient of a message and how far delivery got."""

    recipient: str
    status: str
    delivered_at: datetime | None


@dataclass(frozen=True)
class TimelineEntry:
    """One accepted message on the case, as the hub received it, and its deliveries."""

    at: datetime
    message_type: str
    sender: str
    message_id: str
    priority: str
    deliveries: tuple[DeliveryView, ...]


@dataclass(frozen=True)
class CaseDetail:
    """Everything the viewer may see of one case."""

    summary: CaseSummary
    decision_body_kind: str | None
    decision_body_name: str | None
    decision_outcome: str | None
    consent_status: str | None
    signal_at: datetime | None
    receipt_at: datetime | None
    survey_at: datetime | None
    consent_at: datetime | None
    decision_at: datetime | None
    plan_at: datetime | None
    closed_at: datetime | None
    closure_reason: str | None
    post_support_until: date | None
    plans: tuple[PlanView, ...]
    actions: tuple[ActionView, ...]
    reports: tuple[ReportView, ...]
    deadlines: tuple[DeadlineView, ...]
    conflicts: tuple[ConflictView, ...]
    timeline: tuple[TimelineEntry, ...]


# --- Overdue: one definition, in Python and in SQL --------------------------------------


def is_action_open(action: CaseAction) -> bool:
    """The line is still owed: in the current plan, not finished, its case not closed."""
    return (
        action.in_plan
        and action.status not in FINISHED_ACTION_STATUSES
        and action.case.closed_at is None
    )


def is_action_overdue(action: CaseAction, *, now: datetime) -> bool:
    """Owed and late: marked overdue, or past its due time without being finished.

    A line a later plan version dropped (``in_plan`` False) is no longer owed.
    """
    return is_action_open(action) and (action.status == OVERDUE_STATUS or action.due_at < now)


def is_deadline_overdue(deadline: CaseDeadline, *, now: datetime) -> bool:
    return deadline.met_at is None and deadline.due_at < now


def open_action_sql() -> ColumnElement[bool]:
    """``is_action_open`` as a WHERE clause on ``CaseAction``."""
    return and_(
        CaseAction.in_plan.is_(True),
        CaseAction.status.not_in(FINISHED_ACTION_STATUSES),
        CaseAction.case_id.in_(select(CaseFile.id).where(CaseFile.closed_at.is_(None))),
    )


def late_done_deadline_sql() -> ColumnElement[bool]:
    """A deadline met after its due time (``DeadlineState.DONE_LATE``), as a WHERE clause."""
    return and_(
        CaseDeadline.outcome == DeadlineOutcome.MET, CaseDeadline.met_at > CaseDeadline.due_at
    )


def overdue_action_sql(now: datetime) -> ColumnElement[bool]:
    """``is_action_overdue`` as a WHERE clause on ``CaseAction``."""
    return and_(
        open_action_sql(), or_(CaseAction.status == OVERDUE_STATUS, CaseAction.due_at < now)
    )


# --- Scope --------------------------------------------------------------------------------


def normalised_name(name: str) -> str:
    """A person's name as compared: case-folded, ё as е, single spaces."""
    return re.sub(r"\s+", " ", name.casefold().replace("ё", "е")).strip()


def _scope_clauses(viewer: Viewer) -> list[ColumnElement[bool]]:
    """The viewer's scope as WHERE clauses on ``CaseFile``."""
    if viewer.hub_wide:
        return []
    if viewer.region is None:
        raise ValueError(f"viewer {viewer.login} has role {viewer.role} but no region")
    clauses: list[ColumnElement[bool]] = [CaseFile.region == viewer.region]
    if viewer.role is Role.OFFICER:
        has_action = exists().where(
            CaseAction.case_id == CaseFile.id, CaseAction.responsible_agency == viewer.agency
        )
        # By one of the agency's systems: its own, or an organisation's (a school's).
        sent_referral = exists().where(
            CaseReferral.case_id == CaseFile.id,
            agency_partners_sql(CaseReferral.sender, viewer.agency or ""),
        )
        clauses.append(or_(has_action, sent_referral))
    if viewer.role is Role.CURATOR:
        # By the staff id alone: names are not unique, and a case with no curator id is
        # the supervisor's until one is named or assigned.
        clauses.append(CaseFile.curator_staff_id == viewer.staff_id if viewer.staff_id else false())
    return clauses


def scoped_cases(session: Session, viewer: Viewer, *where: ColumnElement[bool]) -> list[CaseFile]:
    """The cases in the viewer's scope that also meet ``where``."""
    return list(session.scalars(select(CaseFile).where(*_scope_clauses(viewer), *where)))


def get_visible_case(session: Session, viewer: Viewer, case_ref: str) -> CaseFile:
    """The case row, if the viewer's scope includes it.

    Raises:
        CaseNotVisible: no such case, or not in the viewer's scope.
    """
    found = scoped_cases(session, viewer, CaseFile.case_ref == case_ref)
    if not found:
        raise CaseNotVisible(case_ref)
    return found[0]


def _agency_only(viewer: Viewer) -> str | None:
    """The agency whose rows alone an officer may see; None for every other role."""
    return viewer.agency if viewer.role is Role.OFFICER else None


# --- The list -----------------------------------------------------------------------------


def list_cases(
    session: Session,
    viewer: Viewer,
    filters: CaseFilters,
    *,
    now: datetime,
    regions: RegionRules,
) -> list[CaseSummary]:
    """The cases in the viewer's scope that pass ``filters``: overdue first, then by due time.

    Ties go by the earliest next deadline (cases without one last), then by case reference.
    ``regions`` gives each case's calendar, in which its due dates are shown.
    """
    stmt = select(CaseFile).where(*_scope_clauses(viewer))
    if filters.state:
        stmt = stmt.where(CaseFile.state == filters.state)
    if filters.category:
        stmt = stmt.where(CaseFile.category == filters.category)
    if filters.region:
        stmt = stmt.where(CaseFile.region == filters.region)
    needle = normalised_name(filters.text) if filters.text else ""
    cases = [case for case in session.scalars(stmt) if _matches_text(viewer, case, needle)]
    if not cases:
        return []
    scope = stmt.with_only_columns(CaseFile.id).scalar_subquery()
    figures = _CaseFigures.load(session, viewer, scope, now=now)
    summaries = [
        _summary(viewer, case, figures.of(case.id), calendar_of(regions, case.region))
        for case in cases
    ]
    if filters.overdue_only:
        summaries = [s for s in summaries if s.overdue_count > 0]
    return sorted(summaries, key=_list_order)


def _matches_text(viewer: Viewer, case: CaseFile, needle: str) -> bool:
    if not needle:
        return True
    if needle in normalised_name(case.case_ref):
        return True
    return (
        viewer.sees_identity
        and case.family_name is not None
        and needle in normalised_name(case.family_name)
    )


def _list_order(summary: CaseSummary) -> tuple[bool, bool, datetime | str, str]:
    deadline = summary.next_deadline
    return (summary.overdue_count == 0, deadline is None, deadline or "", summary.case_ref)


#: The next thing due on a case: its due time and whether its rule counts hours.
_Due = tuple[datetime, bool]


@dataclass(frozen=True)
class _Figures:
    """One case's figures: the next due time, what is late now and was late, conflicts."""

    next_due: _Due | None
    overdue_count: int
    late_done_count: int
    conflict_count: int


@dataclass
class _CaseFigures:
    """Per-case due times, overdue items and conflict counts within the viewer's rows."""

    next_action: dict[int, datetime]
    next_deadline: dict[int, _Due]
    overdue_actions: dict[int, set[str]]
    overdue_deadlines: dict[int, list[tuple[str, str]]]
    late_done: dict[int, int]
    conflicts: dict[int, int]

    @classmethod
    def load(
        cls,
        session: Session,
        viewer: Viewer,
        case_ids: ColumnElement[int],
        *,
        now: datetime,
    ) -> "_CaseFigures":
        agency = _agency_only(viewer)
        action_rows: list[ColumnElement[bool]] = [CaseAction.case_id.in_(case_ids)]
        deadline_rows: list[ColumnElement[bool]] = [CaseDeadline.case_id.in_(case_ids)]
        running = CaseDeadline.met_at.is_(None)
        conflict_rows: list[ColumnElement[bool]] = [CaseConflict.case_id.in_(case_ids)]
        if agency is not None:
            action_rows.append(CaseAction.responsible_agency == agency)
            deadline_rows.append(agency_partners_sql(CaseDeadline.responsible, agency))
            conflict_rows.append(agency_partners_sql(CaseConflict.sender, agency))
        next_action = select(CaseAction.case_id, func.min(CaseAction.due_at)).where(
            *action_rows, open_action_sql()
        )
        late_actions = select(CaseAction.case_id, CaseAction.action_id).where(
            *action_rows, overdue_action_sql(now)
        )
        # Latest first, so the earliest of each case is the one kept.
        next_deadlines = (
            select(CaseDeadline.case_id, CaseDeadline.due_at, CaseDeadline.in_hours)
            .where(*deadline_rows, running)
            .order_by(CaseDeadline.due_at.desc())
        )
        late_deadlines = select(
            CaseDeadline.case_id, CaseDeadline.kind, CaseDeadline.subject
        ).where(*deadline_rows, running, CaseDeadline.due_at < now)
        late_done = select(CaseDeadline.case_id, func.count()).where(
            *deadline_rows, late_done_deadline_sql()
        )
        conflicts = select(CaseConflict.case_id, func.count()).where(*conflict_rows)
        overdue_actions: dict[int, set[str]] = defaultdict(set)
        for case_id, action_id in session.execute(late_actions):
            overdue_actions[case_id].add(action_id)
        overdue_deadlines: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for case_id, kind, subject in session.execute(late_deadlines):
            overdue_deadlines[case_id].append((kind, subject))
        return cls(
            next_action=_pairs(session.execute(next_action.group_by(CaseAction.case_id))),
            next_deadline={
                case_id: (due_at, in_hours)
                for case_id, due_at, in_hours in session.execute(next_deadlines)
            },
            overdue_actions=overdue_actions,
            overdue_deadlines=overdue_deadlines,
            late_done=_pairs(session.execute(late_done.group_by(CaseDeadline.case_id))),
            conflicts=_pairs(session.execute(conflicts.group_by(CaseConflict.case_id))),
        )

    def of(self, case_id: int) -> _Figures:
        action_due = self.next_action.get(case_id)
        late_actions = self.overdue_actions.get(case_id, set())
        late_deadlines = self.overdue_deadlines.get(case_id, [])
        return _Figures(
            next_due=_earliest(
                [] if action_due is None else [(action_due, False)],
                [self.next_deadline[case_id]] if case_id in self.next_deadline else [],
            ),
            overdue_count=_overdue_count(late_actions, late_deadlines),
            late_done_count=self.late_done.get(case_id, 0),
            conflict_count=self.conflicts.get(case_id, 0),
        )


def _earliest(*dues: Iterable[_Due]) -> _Due | None:
    """The earliest due time of all given; at equal times an hour rule's (it shows the time)."""
    return min(
        (due for group in dues for due in group), key=lambda d: (d[0], not d[1]), default=None
    )


def _pairs(rows: Iterable[tuple[int, _V]]) -> dict[int, _V]:
    return {case_id: value for case_id, value in rows}


def _overdue_count(late_actions: set[str], late_deadlines: Sequence[tuple[str, str]]) -> int:
    """Late lines plus late deadlines, the deadline of a line already counted left out.

    The deadline job keeps an ``action`` deadline beside the line it watches; one late
    line is one overdue item, not two.
    """
    other_deadlines = [
        (kind, subject)
        for kind, subject in late_deadlines
        if not (kind == "action" and subject in late_actions)
    ]
    return len(late_actions) + len(other_deadlines)


def _summary(
    viewer: Viewer, case: CaseFile, figures: _Figures, calendar: WorkingCalendar
) -> CaseSummary:
    due = figures.next_due
    return CaseSummary(
        case_ref=case.case_ref,
        region=case.region,
        state=case.state,
        category=case.category,
        risk_level=case.risk_level,
        urgent=case.urgent,
        family_name=case.family_name if viewer.sees_identity else None,
        children_count=case.children_count,
        curator_name=case.curator_name if viewer.sees_identity else None,
        opened_at=case.opened_at,
        next_deadline=None if due is None else due[0],
        next_deadline_text=None
        if due is None
        else format_due(due[0], in_hours=due[1], calendar=calendar),
        overdue_count=figures.overdue_count,
        late_done_count=figures.late_done_count,
        conflict_count=figures.conflict_count,
    )


# --- One case -----------------------------------------------------------------------------


def get_case(
    session: Session, viewer: Viewer, case_ref: str, *, now: datetime, regions: RegionRules
) -> CaseDetail:
    """The case as the viewer may see it; due dates in its region's calendar (``regions``).

    Raises:
        CaseNotVisible: no such case, or not in the viewer's scope (the same answer, so
            a reference alone never tells whether a family is on record).
    """
    stmt = (
        select(CaseFile)
        .where(CaseFile.case_ref == case_ref, *_scope_clauses(viewer))
        .options(
            selectinload(CaseFile.plans),
            selectinload(CaseFile.actions).selectinload(CaseAction.history),
            selectinload(CaseFile.reports),
            selectinload(CaseFile.deadlines),
            selectinload(CaseFile.conflicts),
        )
    )
    case = session.scalar(stmt)
    if case is None:
        raise CaseNotVisible(case_ref)
    agency = _agency_only(viewer)
    # The agency's own system and its organisations (schools) answer for its rows.
    ours = None if agency is None else agency_codes(session, agency)
    actions = [a for a in case.actions if agency is None or a.responsible_agency == agency]
    deadlines = [d for d in case.deadlines if ours is None or d.responsible in ours]
    conflicts = [c for c in case.conflicts if ours is None or c.sender in ours]
    reports = [r for r in case.reports if ours is None or r.sender in ours]
    calendar = calendar_of(regions, case.region)
    figures = _Figures(
        next_due=_earliest(
            [(a.due_at, False) for a in actions if is_action_open(a)],
            [(d.due_at, d.in_hours) for d in deadlines if d.met_at is None],
        ),
        overdue_count=_overdue_count(
            {a.action_id for a in actions if is_action_overdue(a, now=now)},
            [(d.kind, d.subject) for d in deadlines if is_deadline_overdue(d, now=now)],
        ),
        late_done_count=sum(
            classify_deadline(d, now=now, calendar=calendar).was_late for d in deadlines
        ),
        conflict_count=len(conflicts),
    )
    summary = _summary(viewer, case, figures, calendar)
    # Every line's own clock, the officer's or not: a line's standing is its clock's.
    clocks = {d.subject: d for d in case.deadlines if d.kind == "action"}
    return CaseDetail(
        summary=summary,
        decision_body_kind=case.decision_body_kind,
        decision_body_name=case.decision_body_name,
        decision_outcome=case.decision_outcome,
        consent_status=case.consent_status,
        signal_at=case.signal_at,
        receipt_at=case.receipt_at,
        survey_at=case.survey_at,
        consent_at=case.consent_at,
        decision_at=case.decision_at,
        plan_at=case.plan_at,
        closed_at=case.closed_at,
        closure_reason=case.closure_reason,
        post_support_until=case.post_support_until,
        plans=_plan_views(viewer, case.plans),
        actions=tuple(
            _action_view(
                viewer,
                a,
                classify_action(
                    a,
                    clocks.get(a.action_id),
                    case_closed_at=case.closed_at,
                    now=now,
                    calendar=calendar,
                ),
                now=now,
                calendar=calendar,
            )
            for a in actions
        ),
        reports=tuple(
            ReportView(
                report_id=r.report_id,
                sender=r.sender,
                plan_id=r.plan_id,
                period_from=r.period_from,
                period_to=r.period_to,
                received_at=r.received_at,
                summary=_social(viewer, r.summary),
            )
            for r in reports
        ),
        deadlines=tuple(_deadline_view(d, now=now, calendar=calendar) for d in deadlines),
        conflicts=tuple(
            ConflictView(
                sender=c.sender,
                message_type=c.message_type,
                code=c.code,
                detail=c.detail,
                detected_at=c.detected_at,
            )
            for c in conflicts
        ),
        timeline=_timeline(session, viewer, case),
    )


def _social(viewer: Viewer, text: str | None) -> str | None:
    return text if viewer.sees("social") else None


def _identity(viewer: Viewer, text: str | None) -> str | None:
    return text if viewer.sees_identity else None


def _plan_views(viewer: Viewer, plans: Sequence[CasePlan]) -> tuple[PlanView, ...]:
    current = max(plans, key=lambda p: (p.approved_at, p.version, p.id), default=None)
    return tuple(
        PlanView(
            plan_id=p.plan_id,
            version=p.version,
            approved_at=p.approved_at,
            period_from=p.period_from,
            period_to=p.period_to,
            approved_by=p.approved_by,
            curator_name=_identity(viewer, p.curator_name),
            goals=_social(viewer, p.goals),
            actions_count=p.actions_count,
            current=p is current,
        )
        for p in plans
    )


def _deadline_view(
    deadline: CaseDeadline, *, now: datetime, calendar: WorkingCalendar
) -> DeadlineView:
    standing = classify_deadline(deadline, now=now, calendar=calendar)
    return DeadlineView(
        kind=deadline.kind,
        subject=deadline.subject,
        responsible=deadline.responsible,
        due_at=deadline.due_at,
        in_hours=deadline.in_hours,
        met_at=deadline.met_at,
        outcome=deadline.outcome,
        escalated_at=deadline.escalated_at,
        overdue=is_deadline_overdue(deadline, now=now),
        state=standing.state,
        days_late=standing.days_late,
        due_text=due_text(standing, calendar),
        mark=standing_text(standing),
    )


def _action_view(
    viewer: Viewer,
    action: CaseAction,
    standing: DeadlineStanding,
    *,
    now: datetime,
    calendar: WorkingCalendar,
) -> ActionView:
    return ActionView(
        action_id=action.action_id,
        plan_id=action.plan_id,
        plan_version=action.plan_version,
        measure=action.measure,
        help_type=action.help_type,
        responsible_agency=action.responsible_agency,
        executor=action.executor,
        responsible_organisation=action.responsible_organisation,
        specialist_name=_identity(viewer, action.specialist_name),
        specialist_position=_identity(viewer, action.specialist_position),
        specialist_phone=_identity(viewer, action.specialist_phone),
        deadline=action.deadline,
        due_at=action.due_at,
        status=action.status,
        status_at=action.status_at,
        in_plan=action.in_plan,
        notes=_social(viewer, action.notes),
        overdue=is_action_overdue(action, now=now),
        state=standing.state,
        days_late=standing.days_late,
        due_text=due_text(standing, calendar),
        mark=_action_mark(action, standing),
        history=tuple(
            StatusView(
                reporter=s.reporter,
                status=s.status,
                status_at=s.status_at,
                organisation=s.organisation,
                comment=_social(viewer, s.comment),
            )
            for s in action.history
        ),
    )


def _action_mark(action: CaseAction, standing: DeadlineStanding) -> str:
    """The line's mark; a line its executor could not carry out is not «исполнено»."""
    if action.status == "cannot_execute" and standing.state is DeadlineState.DONE_ON_TIME:
        return ""
    if action.status == "cannot_execute" and standing.was_late:
        return f"ответ с опозданием на {standing.days_late} дн."
    return standing_text(standing)


def _timeline(session: Session, viewer: Viewer, case: CaseFile) -> tuple[TimelineEntry, ...]:
    """The case's messages and the referrals linked to it, oldest first.

    An officer sees the messages their agency's systems (its own and its organisations')
    sent (with every delivery) or received (with their own deliveries only): other
    agencies' traffic is not theirs to know.
    """
    referral_ids = select(CaseReferral.message_log_id).where(CaseReferral.case_id == case.id)
    stmt = (
        select(MessageLog)
        .where(or_(MessageLog.case_ref == case.case_ref, MessageLog.id.in_(referral_ids)))
        .options(selectinload(MessageLog.deliveries))
        .order_by(MessageLog.received_at, MessageLog.id)
    )
    agency = _agency_only(viewer)
    ours = None if agency is None else agency_codes(session, agency)
    entries = []
    for message in session.scalars(stmt):
        deliveries = message.deliveries
        if ours is not None and message.sender not in ours:
            deliveries = [d for d in deliveries if d.recipient in ours]
            if not deliveries:
                continue
        entries.append(
            TimelineEntry(
                at=message.received_at,
                message_type=message.message_type,
                sender=message.sender,
                message_id=message.message_id,
                priority=message.priority,
                deliveries=tuple(
                    DeliveryView(
                        recipient=d.recipient, status=d.status.value, delivered_at=d.delivered_at
                    )
                    for d in deliveries
                ),
            )
        )
    return tuple(entries)
