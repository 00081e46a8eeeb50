"""«Требует внимания»: what a person should act on now, within their scope, most urgent first.

One list for the page (``/attention``), the people's API, ``hub cases attention``, the
daily e-mail summary and the social centre's feed: signals the case owner has not
acknowledged (an urgent one past its deadline first, as it is escalated), overdue
stages and actions, missing periodic reports, conflicts, visits behind the plan's
schedule, and deadlines due within the next working days. Scope and need-to-know are
those of ``hub.cases.queries``: a curator their own cases, a supervisor the region, an
officer only their agency's rows and the signals it sent, an administrator every region
without names. Each item carries a Russian line (``text``) for people; nothing here
writes, audits or commits.
"""

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from hub.cases import labels
from hub.cases.deadlines import (
    DeadlineStanding,
    DeadlineState,
    calendar_of,
    classify_action,
    classify_deadline,
    counts_hours,
    due_text,
    format_due,
    standing_text,
)
from hub.cases.names import partner_name, partner_names
from hub.cases.queries import _agency_only, overdue_action_sql, scoped_cases
from hub.cases.scope import Role, Viewer
from hub.cases.visits import VisitSchedule, visit_schedules
from hub.regions import Region, RegionRules, WorkingCalendar
from hub.store import (
    CaseAction,
    CaseConflict,
    CaseDeadline,
    CaseFile,
    CaseReferral,
    agency_partners_sql,
)

#: A bound past which no deadline can be due soon (3 working days never span a month, even
#: across the New Year holidays): it only narrows the query, ``classify`` decides.
_DUE_SOON_BOUND = timedelta(days=31)


class AttentionKind(enum.StrEnum):
    """What an item is; the order below is the order of urgency."""

    ESCALATED_SIGNAL = "escalated_signal"
    LATE_SIGNAL = "late_signal"
    OVERDUE = "overdue"
    MISSING_REPORT = "missing_report"
    CONFLICT = "conflict"
    VISITS_BEHIND = "visits_behind"
    NEW_SIGNAL = "new_signal"
    DUE_SOON = "due_soon"


_RANK = {kind: rank for rank, kind in enumerate(AttentionKind)}
_LAST = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class AttentionItem:
    """One thing to act on; ``case_ref`` is None for a signal no case was opened for yet."""

    kind: AttentionKind
    region: str | None
    case_ref: str | None
    urgent: bool
    #: When it is or was due; None for conflicts and visits.
    due_at: datetime | None
    #: [identity] None for viewers who may not see names.
    family_name: str | None
    #: What on the case: a deadline's kind (survey, action, report…), a conflict's code.
    topic: str | None
    #: The agency (partner code) that owes it or sent it.
    responsible: str | None
    #: Visits this month against the plan (visits_behind only).
    visits: VisitSchedule | None
    #: One line in Russian for people: what is wrong, with local dates.
    text: str


def attention_items(
    session: Session, viewer: Viewer, regions: RegionRules, *, now: datetime
) -> list[AttentionItem]:
    """Everything in the viewer's scope that needs attention now (``sort_by_urgency``)."""
    cases = scoped_cases(session, viewer, CaseFile.closed_at.is_(None))
    by_id = {case.id: case for case in cases}
    names = partner_names(session)
    items = [
        *unacknowledged_signals(session, viewer, regions, names, now=now),
        *_deadlines(session, viewer, by_id, regions, names, now=now),
        *_conflicts(session, viewer, by_id, regions, names),
    ]
    if viewer.role is not Role.OFFICER:
        items += _visits(session, viewer, cases, regions, now=now)
    return sort_by_urgency(items)


def sort_by_urgency(items: Iterable[AttentionItem]) -> list[AttentionItem]:
    """By kind in the order of ``AttentionKind``, then the earliest due, then case reference."""
    return sorted(items, key=lambda i: (_RANK[i.kind], i.due_at or _LAST, i.case_ref or ""))


# --- Signals no one acknowledged --------------------------------------------------------------


def unacknowledged_signals(
    session: Session,
    viewer: Viewer,
    regions: RegionRules,
    names: Mapping[str, str],
    *,
    now: datetime,
) -> list[AttentionItem]:
    """Accepted referrals without the case owner's receipt, from the moment they are accepted:
    supervisors see their region's, administrators every region's (without names), officers
    those their agency sent; curators none (no case is theirs yet). Unsorted. ``names``
    is ``partner_names``, read once per request."""
    if viewer.role is Role.CURATOR:
        return []
    where: list[ColumnElement[bool]] = [CaseReferral.receipt_at.is_(None)]
    if viewer.region is not None:
        where.append(CaseReferral.region == viewer.region)
    agency = _agency_only(viewer)
    if agency is not None:
        where.append(agency_partners_sql(CaseReferral.sender, agency))
    referrals = session.scalars(select(CaseReferral).where(*where))
    return [_signal_item(viewer, r, regions.for_case(r.region), names, now=now) for r in referrals]


def _signal_item(
    viewer: Viewer,
    referral: CaseReferral,
    region: Region,
    names: Mapping[str, str],
    *,
    now: datetime,
) -> AttentionItem:
    late = referral.receipt_due_at < now
    if late and referral.urgent:
        kind = AttentionKind.ESCALATED_SIGNAL
    else:
        kind = AttentionKind.LATE_SIGNAL if late else AttentionKind.NEW_SIGNAL
    what = "Срочный сигнал" if referral.urgent else "Сигнал"
    sender = partner_name(names, referral.sender)
    rule = region.stage_deadlines["urgent_receipt" if referral.urgent else "receipt"]
    due = format_due(referral.receipt_due_at, in_hours=counts_hours(rule), calendar=region.calendar)
    state = f"срок подтверждения истёк {due}" if late else f"подтвердить до {due}"
    return AttentionItem(
        kind=kind,
        region=referral.region,
        case_ref=referral.case.case_ref if referral.case is not None else None,
        urgent=referral.urgent,
        due_at=referral.receipt_due_at,
        family_name=referral.family_name if viewer.sees_identity else None,
        topic="receipt",
        responsible=region.case_owner,
        visits=None,
        text=f"{what} ({sender}) не подтверждён центром: {state}",
    )


# --- Deadlines: overdue, missing reports, due soon --------------------------------------------


def _deadlines(
    session: Session,
    viewer: Viewer,
    cases: dict[int, CaseFile],
    regions: RegionRules,
    names: Mapping[str, str],
    *,
    now: datetime,
) -> list[AttentionItem]:
    """Running deadlines late now or due soon, by ``classify_deadline``."""
    if not cases:
        return []
    where: list[ColumnElement[bool]] = [
        CaseDeadline.case_id.in_(cases),
        CaseDeadline.met_at.is_(None),
        CaseDeadline.due_at <= now + _DUE_SOON_BOUND,
    ]
    agency = _agency_only(viewer)
    if agency is not None:
        where.append(agency_partners_sql(CaseDeadline.responsible, agency))
    rows = session.execute(
        select(CaseDeadline, CaseAction.measure)
        .outerjoin(
            CaseAction,
            (CaseAction.case_id == CaseDeadline.case_id)
            & (CaseAction.action_id == CaseDeadline.subject)
            & CaseDeadline.kind.in_(("action", "acceptance")),
        )
        .where(*where)
    )
    items, watched = [], set()
    for deadline, measure in rows:
        case = cases[deadline.case_id]
        if deadline.kind == "action":
            watched.add((deadline.case_id, deadline.subject))
        calendar = calendar_of(regions, case.region)
        standing = classify_deadline(deadline, now=now, calendar=calendar)
        due = _Due(deadline.kind, deadline.responsible, measure, standing)
        items += _deadline_item(viewer, case, due, calendar, names)
    return items + _late_unwatched_actions(session, viewer, cases, watched, regions, names, now=now)


def _late_unwatched_actions(
    session: Session,
    viewer: Viewer,
    cases: dict[int, CaseFile],
    watched: set[tuple[int, str]],
    regions: RegionRules,
    names: Mapping[str, str],
    *,
    now: datetime,
) -> list[AttentionItem]:
    """Late action lines with no running clock of their own (an executor marked one
    overdue, or it was written without one): the case list counts them as overdue."""
    where = [CaseAction.case_id.in_(cases), overdue_action_sql(now)]
    agency = _agency_only(viewer)
    if agency is not None:
        where.append(CaseAction.responsible_agency == agency)
    items = []
    for action in session.scalars(select(CaseAction).where(*where)):
        if (action.case_id, action.action_id) in watched:
            continue
        case = cases[action.case_id]
        calendar = calendar_of(regions, case.region)
        standing = classify_action(
            action, None, case_closed_at=case.closed_at, now=now, calendar=calendar
        )
        due = _Due("action", action.executor, action.measure, standing)
        items += _deadline_item(viewer, case, due, calendar, names)
    return items


@dataclass(frozen=True)
class _Due:
    """Something owed on a case, and where it stands."""

    kind: str
    responsible: str
    #: The action's measure, for action and acceptance deadlines.
    measure: str | None
    standing: DeadlineStanding


def _deadline_item(
    viewer: Viewer,
    case: CaseFile,
    due: _Due,
    calendar: WorkingCalendar,
    names: Mapping[str, str],
) -> list[AttentionItem]:
    """The item of a late or soon-due deadline; none for one that is neither."""
    standing = due.standing
    if standing.state is DeadlineState.DUE_SOON:
        kind = AttentionKind.DUE_SOON
    elif standing.state is not DeadlineState.LATE:
        return []
    elif due.kind == "report":
        kind = AttentionKind.MISSING_REPORT
    else:
        kind = AttentionKind.OVERDUE
    what = labels.label(labels.DEADLINE_KIND_LABELS, due.kind).capitalize()
    if due.measure is not None:
        what += f" «{due.measure}»"
    who = partner_name(names, due.responsible)
    due_day = due_text(standing, calendar)
    if standing.state is DeadlineState.LATE:
        when = f"{standing_text(standing)}, срок {due_day}"
    else:
        when = f"{standing_text(standing)} {due_day}"
    if kind is AttentionKind.MISSING_REPORT:
        text = f"Не представлен периодический отчёт ({who}): {when}"
    else:
        text = f"{what} ({who}): {when}"
    return [
        AttentionItem(
            kind=kind,
            region=case.region,
            case_ref=case.case_ref,
            urgent=case.urgent,
            due_at=standing.due_at,
            family_name=case.family_name if viewer.sees_identity else None,
            topic=due.kind,
            responsible=due.responsible,
            visits=None,
            text=text,
        )
    ]


# --- Conflicts and visits ---------------------------------------------------------------------


def _conflicts(
    session: Session,
    viewer: Viewer,
    cases: dict[int, CaseFile],
    regions: RegionRules,
    names: Mapping[str, str],
) -> list[AttentionItem]:
    if not cases:
        return []
    where: list[ColumnElement[bool]] = [CaseConflict.case_id.in_(cases)]
    agency = _agency_only(viewer)
    if agency is not None:
        where.append(agency_partners_sql(CaseConflict.sender, agency))
    items = []
    for conflict in session.scalars(select(CaseConflict).where(*where)):
        case = cases[conflict.case_id]
        region = regions.for_case(case.region)
        sender = partner_name(names, conflict.sender)
        what = labels.label(labels.CONFLICT_LABELS, conflict.code)
        when = f"{region.calendar.local(conflict.detected_at):%d.%m.%Y}"
        items.append(
            AttentionItem(
                kind=AttentionKind.CONFLICT,
                region=case.region,
                case_ref=case.case_ref,
                urgent=case.urgent,
                due_at=None,
                family_name=case.family_name if viewer.sees_identity else None,
                topic=conflict.code,
                responsible=conflict.sender,
                visits=None,
                text=f"Противоречие в сообщении ({sender}, {when}): {what}",
            )
        )
    return items


def _visits(
    session: Session,
    viewer: Viewer,
    cases: Sequence[CaseFile],
    regions: RegionRules,
    *,
    now: datetime,
) -> list[AttentionItem]:
    schedules = visit_schedules(session, cases, regions, now=now)
    return [
        AttentionItem(
            kind=AttentionKind.VISITS_BEHIND,
            region=case.region,
            case_ref=case.case_ref,
            urgent=case.urgent,
            due_at=None,
            family_name=case.family_name if viewer.sees_identity else None,
            topic="visits",
            responsible=regions.for_case(case.region).case_owner,
            visits=schedule,
            text=(
                f"Посещения семьи: {schedule.done} из {schedule.required} за месяц, "
                "отстаёт от графика"
            ),
        )
        for case in cases
        if (schedule := schedules[case.case_ref]).behind
    ]


def without_names(items: Iterable[AttentionItem]) -> list[AttentionItem]:
    """The items with family names removed (a partner's feed carries none)."""
    return [replace(item, family_name=None) for item in items]
