"""The curator's home visits to a family and the plan's schedule for them.

Visits are hub data, not messages: a curator records each one (the day and a short
note) on the case page or over the API, and they are stored in ``case_visit`` by case
reference, outside the message log. ``hub cases rebuild`` replays the log into the case
tables and so neither drops nor rebuilds them. The region's rules say how many visits a
month the plan requires (``visits_per_month``); a case under a plan is behind schedule
when fewer visits were made this month than the part of the month gone by requires.
"""

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.cases.scope import Role, Viewer
from hub.errors import Rejection
from hub.regions import Region, RegionRules
from hub.store import CaseFile, CaseVisit

#: Case states in which the plan's visits are owed.
VISITED_STATES = frozenset({"plan", "implementation"})
#: Longest note on a visit, in characters.
MAX_VISIT_NOTE_CHARS = 1000
#: Who may record a visit (a curator on their own cases, a supervisor on the region's).
VISIT_RECORDERS = (Role.CURATOR, Role.SUPERVISOR)


class VisitInvalid(Rejection):
    """A visit the hub will not record (``request.invalid``); the detail says why."""

    def __init__(self, detail: str) -> None:
        super().__init__("request.invalid", detail)


@dataclass(frozen=True)
class VisitView:
    """One recorded visit."""

    visited_on: date
    #: [social]
    note: str | None
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class VisitSchedule:
    """Visits this local month against what the region's rules require."""

    done: int
    required: int
    #: Fewer done than the part of the month gone by requires (only while a plan runs).
    behind: bool


def record_visit(
    session: Session,
    case: CaseFile,
    viewer: Viewer,
    *,
    visited_on: date,
    note: str | None,
    region: Region,
    now: datetime,
) -> CaseVisit:
    """Add a visit to ``case`` (one the caller checked ``viewer`` may see); the caller commits.

    Raises:
        VisitInvalid: the day is after today in the region or more than a year back, or
            the note is too long.
    """
    today = region.calendar.local(now).date()
    if visited_on > today:
        raise VisitInvalid("visited_on is after today in the case's region")
    if (today - visited_on).days > 366:
        raise VisitInvalid("visited_on is more than a year ago")
    text = (note or "").strip() or None
    if text is not None and len(text) > MAX_VISIT_NOTE_CHARS:
        raise VisitInvalid(f"note is longer than {MAX_VISIT_NOTE_CHARS} characters")
    visit = CaseVisit(
        case_ref=case.case_ref,
        visited_on=visited_on,
        note=text,
        recorded_by=viewer.login,
        recorded_at=now,
    )
    session.add(visit)
    session.flush()
    return visit


def case_visits(session: Session, viewer: Viewer, case_ref: str) -> tuple[VisitView, ...]:
    """The case's visits, newest first; notes only for viewers who read the social class."""
    rows = session.scalars(
        select(CaseVisit)
        .where(CaseVisit.case_ref == case_ref)
        .order_by(CaseVisit.visited_on.desc(), CaseVisit.id.desc())
    )
    return tuple(
        VisitView(
            visited_on=v.visited_on,
            note=v.note if viewer.sees("social") else None,
            recorded_by=v.recorded_by,
            recorded_at=v.recorded_at,
        )
        for v in rows
    )


def visit_schedules(
    session: Session, cases: Iterable[CaseFile], regions: RegionRules, *, now: datetime
) -> dict[str, VisitSchedule]:
    """Each case's visits this month in its region's time zone, by case reference.

    A month's visits are due pro rata: by day d of a month of n days, ⌊M·d/n⌋ of the M
    required, counted from the day the plan was approved if that was this month.
    """
    cases = list(cases)
    starts = {c.case_ref: _month_start(regions.for_case(c.region), now) for c in cases}
    done = _visits_since(session, starts)
    schedules = {}
    for case in cases:
        region = regions.for_case(case.region)
        count = done.get(case.case_ref, 0)
        schedules[case.case_ref] = VisitSchedule(
            done=count,
            required=region.visits_per_month,
            behind=case.state in VISITED_STATES
            and case.closed_at is None
            and count < _due_by_now(case, region, now),
        )
    return schedules


def _month_start(region: Region, now: datetime) -> date:
    return region.calendar.local(now).date().replace(day=1)


def _visits_since(session: Session, starts: dict[str, date]) -> dict[str, int]:
    """Visits per case on or after its start day (one query for all cases)."""
    if not starts:
        return {}
    earliest = min(starts.values())
    rows: Sequence[tuple[str, date, int]] = session.execute(
        select(CaseVisit.case_ref, CaseVisit.visited_on, func.count())
        .where(CaseVisit.case_ref.in_(starts), CaseVisit.visited_on >= earliest)
        .group_by(CaseVisit.case_ref, CaseVisit.visited_on)
    ).all()
    counts: dict[str, int] = {}
    for case_ref, day, count in rows:
        if day >= starts[case_ref]:
            counts[case_ref] = counts.get(case_ref, 0) + count
    return counts


def _due_by_now(case: CaseFile, region: Region, now: datetime) -> int:
    today = region.calendar.local(now).date()
    plan_day = None if case.plan_at is None else region.calendar.local(case.plan_at).date()
    return visits_due(region.visits_per_month, today=today, plan_day=plan_day)


def visits_due(required: int, *, today: date, plan_day: date | None) -> int:
    """Visits owed by the end of ``today`` of the ``required`` a month: ⌊M·d/n⌋ after d of
    the month's n days, the days counted from ``plan_day`` if the plan began this month."""
    days_in_month = calendar.monthrange(today.year, today.month)[1]
    start = today.replace(day=1)
    if plan_day is not None:
        start = max(start, plan_day)
    days_gone = max((today - start).days + 1, 0)
    return required * days_gone // days_in_month
