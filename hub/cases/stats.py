"""Region statistics for supervisors: cases opened and closed, outcomes, pace, what is late.

Lateness of action lines is read with the one classification (``deadlines``): a line
late now, one done late and one done on time, per agency and per month of the due day;
a line done late stays counted as such after it is done.

Aggregates only — counts, shares, medians, agency codes — so the figures carry no
personal data and an administrator may see every region's. Read-only; the
caller owns the session.
"""

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session, contains_eager

from hub.cases.deadlines import UTC_CALENDAR, DeadlineState, classify_action
from hub.cases.queries import is_action_overdue, overdue_action_sql
from hub.cases.scope import Role, Viewer
from hub.regions import WorkingCalendar
from hub.store import CaseAction, CaseDeadline, CaseFile

#: How many calendar months, up to and including the current one, the monthly figures cover.
STATS_MONTHS = 12
#: The closure reason that counts as success.
GOALS_ACHIEVED = "goals_achieved"
_SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class MonthFigures:
    #: "YYYY-MM" in the statistics' time zone.
    month: str
    opened: int
    closed: int


@dataclass(frozen=True)
class CountBy:
    """How many of something there are for one key (a closure reason, an agency code)."""

    key: str
    count: int


@dataclass(frozen=True)
class AgencyLateness:
    """How one agency's action lines stand against their due dates (see ``DeadlineState``)."""

    agency: str
    #: Open past the due date (``is_action_overdue``).
    late_now: int
    #: Finished after the due date, in calendar days of the region's time zone.
    done_late: int
    done_on_time: int


@dataclass(frozen=True)
class MonthLateness:
    """An agency's late action lines whose due day fell in ``month`` ("YYYY-MM")."""

    month: str
    agency: str
    late_now: int
    done_late: int


@dataclass(frozen=True)
class RegionStats:
    """The figures of one region, or of all regions when ``region`` is None."""

    region: str | None
    cases_total: int
    #: Cases not closed yet.
    cases_open: int
    #: The last ``STATS_MONTHS`` months, oldest first, months without cases included.
    months: tuple[MonthFigures, ...]
    #: Most frequent first.
    closure_reasons: tuple[CountBy, ...]
    closed_total: int
    #: Closed with goals achieved ÷ all closed (0…1); None while nothing is closed.
    goals_achieved_share: float | None
    #: Median days from the signal to the decision, and from the decision to the plan.
    median_days_signal_to_decision: float | None
    median_days_decision_to_plan: float | None
    #: Overdue action lines (see ``is_action_overdue``) by responsible agency, most first.
    overdue_by_agency: tuple[CountBy, ...]
    #: Periodic reports past due and not received.
    missing_reports: int
    #: Every agency with action lines in scope: most late (now, then done late) first.
    lateness_by_agency: tuple[AgencyLateness, ...]
    #: Late lines by month of their due day within ``months``, oldest first, then by agency;
    #: months and agencies without late lines left out.
    lateness_by_month: tuple[MonthLateness, ...]


def region_stats(
    session: Session,
    viewer: Viewer,
    *,
    region: str | None,
    now: datetime,
    calendar: WorkingCalendar = UTC_CALENDAR,
) -> RegionStats:
    """The statistics of the viewer's region (of ``region``, or all, for administrators).

    ``region`` is honoured for administrators only; curators and supervisors always
    get their own region. Months and days late are counted in ``calendar`` (the region's).

    Raises:
        PermissionError: the viewer is an officer (agencies get no region statistics).
    """
    if viewer.role is Role.OFFICER:
        raise PermissionError(f"{viewer.login}: officers have no region statistics")
    scope = region if viewer.hub_wide else viewer.region
    in_scope: list[ColumnElement[bool]] = [] if scope is None else [CaseFile.region == scope]
    cases = session.execute(
        select(
            CaseFile.opened_at,
            CaseFile.closed_at,
            CaseFile.closure_reason,
            CaseFile.signal_at,
            CaseFile.decision_at,
            CaseFile.plan_at,
        ).where(*in_scope)
    ).all()
    case_ids = select(CaseFile.id).where(*in_scope).scalar_subquery()
    overdue = session.execute(
        select(CaseAction.responsible_agency, func.count())
        .where(CaseAction.case_id.in_(case_ids), overdue_action_sql(now))
        .group_by(CaseAction.responsible_agency)
    ).all()
    missing_reports = session.scalar(
        select(func.count()).where(
            CaseDeadline.case_id.in_(case_ids),
            CaseDeadline.kind == "report",
            CaseDeadline.met_at.is_(None),
            CaseDeadline.due_at < now,
        )
    )
    closed = [c for c in cases if c.closed_at is not None]
    reasons = Counter(c.closure_reason or "" for c in closed)
    months = _months(
        [c.opened_at for c in cases],
        [c.closed_at for c in closed],
        now=now,
        timezone=calendar.timezone,
    )
    by_agency, by_month = _lateness(session, case_ids, now=now, calendar=calendar, months=months)
    return RegionStats(
        region=scope,
        cases_total=len(cases),
        cases_open=len(cases) - len(closed),
        months=months,
        closure_reasons=_most_first(reasons.items()),
        closed_total=len(closed),
        goals_achieved_share=reasons[GOALS_ACHIEVED] / len(closed) if closed else None,
        median_days_signal_to_decision=_median_days((c.signal_at, c.decision_at) for c in cases),
        median_days_decision_to_plan=_median_days((c.decision_at, c.plan_at) for c in cases),
        overdue_by_agency=_most_first((agency, count) for agency, count in overdue),
        missing_reports=missing_reports or 0,
        lateness_by_agency=by_agency,
        lateness_by_month=by_month,
    )


def _lateness(
    session: Session,
    case_ids: ColumnElement[int],
    *,
    now: datetime,
    calendar: WorkingCalendar,
    months: tuple[MonthFigures, ...],
) -> tuple[tuple[AgencyLateness, ...], tuple[MonthLateness, ...]]:
    """Each in-plan action line in scope classified once, counted per agency and month."""
    rows = session.execute(
        select(CaseAction, CaseDeadline)
        .join(CaseAction.case)
        # The line's case comes with it: whether it is closed decides what is still owed.
        .options(contains_eager(CaseAction.case))
        .outerjoin(
            CaseDeadline,
            and_(
                CaseDeadline.case_id == CaseAction.case_id,
                CaseDeadline.kind == "action",
                CaseDeadline.subject == CaseAction.action_id,
            ),
        )
        .where(CaseAction.case_id.in_(case_ids), CaseAction.in_plan.is_(True))
    ).all()
    counts: Counter[tuple[str, str]] = Counter()
    per_month: Counter[tuple[str, str, str]] = Counter()
    shown_months = {m.month for m in months}
    for action, clock in rows:
        agency = action.responsible_agency
        standing = classify_action(
            action, clock, case_closed_at=action.case.closed_at, now=now, calendar=calendar
        )
        late_now = is_action_overdue(action, now=now)
        kind = "late_now" if late_now else standing.state.value
        counts[agency, kind] += 1
        month = standing.due_day.strftime("%Y-%m")
        if month in shown_months and (late_now or standing.was_late):
            per_month[month, agency, kind] += 1
    agencies = sorted(
        {agency for agency, _ in counts},
        key=lambda a: (-counts[a, "late_now"], -counts[a, DeadlineState.DONE_LATE.value], a),
    )
    by_agency = tuple(
        AgencyLateness(
            agency=a,
            late_now=counts[a, "late_now"],
            done_late=counts[a, DeadlineState.DONE_LATE.value],
            done_on_time=counts[a, DeadlineState.DONE_ON_TIME.value],
        )
        for a in agencies
    )
    by_month = tuple(
        MonthLateness(
            month=month,
            agency=agency,
            late_now=per_month[month, agency, "late_now"],
            done_late=per_month[month, agency, DeadlineState.DONE_LATE.value],
        )
        for month, agency in sorted({(month, agency) for month, agency, _ in per_month})
    )
    return by_agency, by_month


def _months(
    opened: Iterable[datetime],
    closed: Iterable[datetime | None],
    *,
    now: datetime,
    timezone: tzinfo,
) -> tuple[MonthFigures, ...]:
    local_now = now.astimezone(timezone)
    months = []
    year, month = local_now.year, local_now.month
    for _ in range(STATS_MONTHS):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    months.reverse()
    opened_by = Counter(_month_of(at, timezone) for at in opened)
    closed_by = Counter(_month_of(at, timezone) for at in closed if at is not None)
    return tuple(MonthFigures(m, opened_by[m], closed_by[m]) for m in months)


def _month_of(at: datetime, timezone: tzinfo) -> str:
    return at.astimezone(timezone).strftime("%Y-%m")


def _most_first(pairs: Iterable[tuple[str, int]]) -> tuple[CountBy, ...]:
    return tuple(
        CountBy(key, count) for key, count in sorted(pairs, key=lambda kv: (-kv[1], kv[0]))
    )


def _median_days(spans: Iterable[tuple[datetime | None, datetime | None]]) -> float | None:
    """The median length in days of the spans whose both ends are known."""
    days = [
        (end - start).total_seconds() / _SECONDS_PER_DAY
        for start, end in spans
        if start is not None and end is not None
    ]
    return statistics.median(days) if days else None
