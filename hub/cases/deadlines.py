"""Deadlines on a case: opened and met by the messages that create and answer obligations.

The projection opens a deadline when a message starts a clock (a receipt starts
the survey's, a plan each action's) and meets it when the answer arrives. Closing
the case withdraws the clocks still running (``DeadlineOutcome.WITHDRAWN``), and a
plan revision drops those of the lines it removes (``DROPPED``): neither meets them.
Only action deadlines escalate (the hub's overdue notice); the others show as late
on the case page and in the statistics.

What a deadline *is* at a moment (open, due soon, late, done on time, done late,
withdrawn at closure, dropped from the plan) is decided by one function,
``classify``, read-side, with the region's calendar; it is shown one way, by
``due_text`` (the date; the time too only for rules that count hours) and
``standing_text``.
"""

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hub.regions import Deadline, RegionRules, WorkingCalendar
from hub.store import CaseAction, CaseDeadline, CaseFile, DeadlineOutcome

#: Action statuses after which an action's own deadline no longer runs.
FINISHED_STATUSES = frozenset({"done", "cannot_execute"})
#: Statuses that show an executor has taken the action on.
TAKEN_STATUSES = frozenset({"accepted", "in_progress", *FINISHED_STATUSES})
#: An open deadline is "due soon" when it falls within this many working days of the
#: region's calendar after today (local), today included.
DUE_SOON_WORKING_DAYS = 3
_INSTANT = timedelta(microseconds=1)
#: The calendar of a case whose region the rules do not know: UTC, weekends off.
UTC_CALENDAR = WorkingCalendar(ZoneInfo("UTC"))


class DeadlineState(enum.StrEnum):
    """Where a deadline stands at a moment (see ``classify``)."""

    OPEN = "open"  # running, not due within DUE_SOON_WORKING_DAYS
    DUE_SOON = "due_soon"  # running, due within DUE_SOON_WORKING_DAYS working days
    LATE = "late"  # running past its due time: late now
    DONE_ON_TIME = "done_on_time"  # met by its due time
    DONE_LATE = "done_late"  # met after its due time: was late
    WITHDRAWN = "withdrawn"  # the case was closed while it ran
    DROPPED = "dropped"  # a later plan version dropped the action line it ran for


#: The states of a clock still running.
OPEN_STATES = frozenset({DeadlineState.OPEN, DeadlineState.DUE_SOON, DeadlineState.LATE})
#: Outcomes that stop a clock without meeting it, and the state each gives.
_STOPPED_STATES = {
    DeadlineOutcome.WITHDRAWN: DeadlineState.WITHDRAWN,
    DeadlineOutcome.DROPPED: DeadlineState.DROPPED,
}


@dataclass(frozen=True)
class DeadlineStanding:
    """A deadline's state at a moment, and what the pages show of it."""

    state: DeadlineState
    #: The due instant (aware UTC): for day rules the local midnight ending ``due_day``.
    due_at: datetime
    #: The rule counts hours: the due time is shown, not only the day.
    in_hours: bool
    #: The due day in the region's time zone: the date every page, the API and the CSV show.
    due_day: date
    #: For LATE and DONE_LATE: calendar days in the region's time zone from the due day to
    #: today (late) or to the day it was met (done late), at least 1; else 0.
    days_late: int
    #: When the clock stopped (met or withdrawn); None while it runs.
    ended_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_late_now(self) -> bool:
        return self.state is DeadlineState.LATE

    @property
    def was_late(self) -> bool:
        return self.state is DeadlineState.DONE_LATE


def classify(
    *,
    due_at: datetime,
    in_hours: bool,
    ended_at: datetime | None,
    outcome: DeadlineOutcome | None,
    now: datetime,
    calendar: WorkingCalendar,
) -> DeadlineStanding:
    """The one definition of a deadline's state; all times aware.

    ``ended_at`` and ``outcome`` are None while the clock runs. A deadline met exactly
    at its due time is on time. "Due soon" and the days late are counted in
    ``calendar`` (the case region's working days and time zone).
    """
    due_day = local_due_day(due_at, in_hours=in_hours, calendar=calendar)
    if outcome in _STOPPED_STATES:
        return DeadlineStanding(_STOPPED_STATES[outcome], due_at, in_hours, due_day, 0, ended_at)
    if ended_at is not None:
        late = ended_at > due_at
        state = DeadlineState.DONE_LATE if late else DeadlineState.DONE_ON_TIME
        days = _days_after(due_day, ended_at, calendar) if late else 0
        return DeadlineStanding(state, due_at, in_hours, due_day, days, ended_at)
    if due_at < now:
        days = _days_after(due_day, now, calendar)
        return DeadlineStanding(DeadlineState.LATE, due_at, in_hours, due_day, days, None)
    soon_until = calendar.end_of_day(
        calendar.add_working_days(calendar.local(now).date(), DUE_SOON_WORKING_DAYS)
    )
    state = DeadlineState.DUE_SOON if due_at <= soon_until else DeadlineState.OPEN
    return DeadlineStanding(state, due_at, in_hours, due_day, 0, None)


def classify_deadline(
    deadline: CaseDeadline, *, now: datetime, calendar: WorkingCalendar
) -> DeadlineStanding:
    """``classify`` applied to a stored deadline."""
    return classify(
        due_at=deadline.due_at,
        in_hours=deadline.in_hours,
        ended_at=deadline.met_at,
        outcome=deadline.outcome,
        now=now,
        calendar=calendar,
    )


def calendar_of(regions: RegionRules, region: str | None) -> WorkingCalendar:
    """The working calendar deadlines of a case in ``region`` are read with.

    A region the rules do not know (or none) reads in UTC, as its pages show it.
    """
    known = regions.regions.get(region) if region is not None else None
    return UTC_CALENDAR if known is None else known.calendar


def counts_hours(rule: Deadline) -> bool:
    """The rule is in hours (``24 hours``): its deadlines record ``in_hours``."""
    return rule.unit == "hours"


def classify_action(
    action: CaseAction,
    clock: CaseDeadline | None,
    *,
    case_closed_at: datetime | None,
    now: datetime,
    calendar: WorkingCalendar,
) -> DeadlineStanding:
    """An action line's standing against its own due date (``action.due_at``).

    ``clock`` is the line's ``action`` deadline, which the projection keeps for every
    line it writes: how it stopped is the line's outcome. A line without one (written
    otherwise) stops as its fields say: dropped when out of the plan, met at its status
    time when finished, withdrawn when the case was closed first.
    """
    ended_at: datetime | None = None
    outcome: DeadlineOutcome | None = None
    if clock is not None:
        ended_at, outcome = clock.met_at, clock.outcome
    elif not action.in_plan:
        ended_at, outcome = action.status_at, DeadlineOutcome.DROPPED
    elif action.status in FINISHED_STATUSES:
        ended_at, outcome = action.status_at, DeadlineOutcome.MET
    elif case_closed_at is not None:
        ended_at, outcome = case_closed_at, DeadlineOutcome.WITHDRAWN
    return classify(
        due_at=action.due_at,
        in_hours=False,
        ended_at=ended_at,
        outcome=outcome,
        now=now,
        calendar=calendar,
    )


def local_due_day(due_at: datetime, *, in_hours: bool, calendar: WorkingCalendar) -> date:
    """The due day in the region's zone: for a day rule, the day its midnight ends."""
    local = calendar.local(due_at)
    return local.date() if in_hours else (local - _INSTANT).date()


def due_text(standing: DeadlineStanding, calendar: WorkingCalendar) -> str:
    """«01.12.2026», or «01.12.2026 15:30» (local) when the rule counts hours."""
    return format_due(standing.due_at, in_hours=standing.in_hours, calendar=calendar)


def format_due(due_at: datetime, *, in_hours: bool, calendar: WorkingCalendar) -> str:
    """The display rule of ``due_text``, for a due time not classified (the case list's)."""
    if in_hours:
        return calendar.local(due_at).strftime("%d.%m.%Y %H:%M")
    return local_due_day(due_at, in_hours=False, calendar=calendar).strftime("%d.%m.%Y")


def standing_text(standing: DeadlineStanding) -> str:
    """The Russian mark of a state: «просрочено на 2 дн.», «исполнено с опозданием на 4 дн.»."""
    match standing.state:
        case DeadlineState.LATE:
            return f"просрочено на {standing.days_late} дн."
        case DeadlineState.DONE_LATE:
            return f"исполнено с опозданием на {standing.days_late} дн."
        case DeadlineState.DONE_ON_TIME:
            return "исполнено в срок"
        case DeadlineState.WITHDRAWN:
            return "снято с контроля при закрытии"
        case DeadlineState.DROPPED:
            return "исключено из плана"
        case DeadlineState.DUE_SOON:
            return "срок истекает"
        case DeadlineState.OPEN:
            return "в работе"


def _days_after(due_day: date, moment: datetime, calendar: WorkingCalendar) -> int:
    return max(1, (calendar.local(moment).date() - due_day).days)


# Built once: the projection looks deadlines up several times per message.
_DEADLINE = select(CaseDeadline).where(
    CaseDeadline.case_id == bindparam("case_id"),
    CaseDeadline.kind == bindparam("kind"),
    CaseDeadline.subject == bindparam("subject"),
)


def find_deadline(
    session: Session, case: CaseFile, kind: str, subject: str = ""
) -> CaseDeadline | None:
    return session.scalar(_DEADLINE, {"case_id": case.id, "kind": kind, "subject": subject})


def open_deadline(
    session: Session,
    case: CaseFile,
    *,
    kind: str,
    subject: str = "",
    responsible: str,
    due_at: datetime,
    in_hours: bool = False,
) -> CaseDeadline:
    """Start (or move) a clock; a moved deadline may escalate again when it passes.

    ``in_hours``: the rule that set ``due_at`` counts hours (its time is shown).
    """
    deadline = find_deadline(session, case, kind, subject)
    if deadline is None:
        deadline = CaseDeadline(case_id=case.id, kind=kind, subject=subject)
        session.add(deadline)
    elif deadline.due_at != due_at:
        deadline.escalated_at = None
        deadline.escalation_message_id = None
    deadline.responsible = responsible
    deadline.due_at = due_at
    deadline.in_hours = in_hours
    deadline.met_at = None
    deadline.outcome = None
    session.flush()
    return deadline


def meet_deadline(
    session: Session, case: CaseFile, *, kind: str, subject: str = "", at: datetime
) -> CaseDeadline | None:
    """Stop a running clock; a deadline already met keeps its first time."""
    deadline = find_deadline(session, case, kind, subject)
    if deadline is not None and deadline.met_at is None:
        mark_met(deadline, at=at)
    return deadline


def mark_met(deadline: CaseDeadline, *, at: datetime) -> None:
    """The answer the deadline waited for arrived at ``at``."""
    deadline.met_at = at
    deadline.outcome = DeadlineOutcome.MET


def drop_deadline(
    session: Session, case: CaseFile, *, kind: str, subject: str, at: datetime
) -> None:
    """The plan no longer has the line this clock ran for: it stops, dropped, not met."""
    deadline = find_deadline(session, case, kind, subject)
    if deadline is not None and deadline.met_at is None:
        deadline.met_at = at
        deadline.outcome = DeadlineOutcome.DROPPED


def withdraw_open_deadlines(session: Session, case: CaseFile, *, at: datetime) -> None:
    """A closed case owes nothing more: every running clock stops, withdrawn, not met."""
    for deadline in session.scalars(
        select(CaseDeadline).where(CaseDeadline.case_id == case.id, CaseDeadline.met_at.is_(None))
    ):
        deadline.met_at = at
        deadline.outcome = DeadlineOutcome.WITHDRAWN


def due_action_deadlines(
    session: Session, *, now: datetime, limit: int
) -> Sequence[tuple[CaseDeadline, CaseAction, CaseFile]]:
    """Action deadlines passed without the action done and not yet escalated, oldest first."""
    rows = session.execute(
        select(CaseDeadline, CaseAction, CaseFile)
        .join(CaseFile, CaseFile.id == CaseDeadline.case_id)
        .join(
            CaseAction,
            (CaseAction.case_id == CaseDeadline.case_id)
            & (CaseAction.action_id == CaseDeadline.subject),
        )
        .where(
            CaseDeadline.kind == "action",
            CaseDeadline.met_at.is_(None),
            CaseDeadline.escalated_at.is_(None),
            CaseDeadline.due_at <= now,
            CaseAction.in_plan.is_(True),
        )
        .order_by(CaseDeadline.due_at, CaseDeadline.id)
        .limit(limit)
    )
    return [(deadline, action, case) for deadline, action, case in rows]
