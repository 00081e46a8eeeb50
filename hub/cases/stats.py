"""Region statistics for supervisors: cases opened and closed, outcomes, pace, what is late.

Aggregates only — counts, shares, medians, agency codes — so the figures carry no
personal data and an administrator may see every region's. Read-only; the
caller owns the session.
"""

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from hub.cases.queries import overdue_action_sql
from hub.cases.scope import Role, Viewer
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


def region_stats(
    session: Session,
    viewer: Viewer,
    *,
    region: str | None,
    now: datetime,
    timezone: tzinfo = UTC,
) -> RegionStats:
    """The statistics of the viewer's region (of ``region``, or all, for administrators).

    ``region`` is honoured for administrators only; curators and supervisors always
    get their own region. Months are counted in ``timezone`` (the region's).

    Raises:
        PermissionError: the viewer is an officer (agencies get no region statistics).
    """
    if viewer.role is Role.OFFICER:
        raise PermissionError(f"{viewer.login}: officers have no region statistics")
    scope = region if viewer.role is Role.ADMINISTRATOR else viewer.region
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
    return RegionStats(
        region=scope,
        cases_total=len(cases),
        cases_open=len(cases) - len(closed),
        months=_months(
            [c.opened_at for c in cases], [c.closed_at for c in closed], now=now, timezone=timezone
        ),
        closure_reasons=_most_first(reasons.items()),
        closed_total=len(closed),
        goals_achieved_share=reasons[GOALS_ACHIEVED] / len(closed) if closed else None,
        median_days_signal_to_decision=_median_days((c.signal_at, c.decision_at) for c in cases),
        median_days_decision_to_plan=_median_days((c.decision_at, c.plan_at) for c in cases),
        overdue_by_agency=_most_first((agency, count) for agency, count in overdue),
        missing_reports=missing_reports or 0,
    )


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
