"""One classification of a deadline's state and one way to show its due date."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.cases.deadlines import (
    DeadlineStanding,
    DeadlineState,
    classify,
    due_text,
    local_due_day,
    standing_text,
)
from hub.regions.calendar import WorkingCalendar
from hub.store import DeadlineOutcome

#: UTC+12, no daylight saving: a day rule's due instant is 12:00 UTC the day before.
KAMCHATKA = WorkingCalendar(ZoneInfo("Asia/Kamchatka"))
#: The end of Tuesday 1 December 2026 in Kamchatka (its local midnight).
DUE_1_DEC = KAMCHATKA.end_of_day(date(2026, 12, 1))


def local(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A moment of 2026 in Kamchatka, as aware UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=KAMCHATKA.timezone).astimezone(UTC)


def standing(
    *,
    now: datetime,
    ended_at: datetime | None = None,
    outcome: DeadlineOutcome | None = None,
    due_at: datetime = DUE_1_DEC,
    in_hours: bool = False,
) -> DeadlineStanding:
    return classify(
        due_at=due_at,
        in_hours=in_hours,
        ended_at=ended_at,
        outcome=outcome,
        now=now,
        calendar=KAMCHATKA,
    )


# --- The display rule ------------------------------------------------------------------------


def test_a_day_rule_shows_the_due_day_not_the_midnight_that_ends_it() -> None:
    # Stored as 2 December 00:00 local: the page shows the day the rule gave, 1 December.
    assert KAMCHATKA.local(DUE_1_DEC) == datetime(2026, 12, 2, tzinfo=KAMCHATKA.timezone)
    shown = standing(now=local(12, 1, 9))
    assert (shown.due_day, due_text(shown, KAMCHATKA)) == (date(2026, 12, 1), "01.12.2026")


def test_an_hour_rule_shows_the_local_date_and_time() -> None:
    # 24 hours from 30 November 15:30 local.
    due_at = local(11, 30, 15, 30) + timedelta(hours=24)
    shown = standing(now=local(12, 1, 9), due_at=due_at, in_hours=True)
    assert (shown.due_day, due_text(shown, KAMCHATKA)) == (date(2026, 12, 1), "01.12.2026 15:30")


def test_the_due_day_is_the_region_s_day() -> None:
    # The same instant is still 1 December in Kaliningrad (UTC+2).
    kaliningrad = WorkingCalendar(ZoneInfo("Europe/Kaliningrad"))
    instant = datetime(2026, 12, 1, 21, 30, tzinfo=UTC)
    assert local_due_day(instant, in_hours=True, calendar=kaliningrad) == date(2026, 12, 1)
    assert local_due_day(instant, in_hours=True, calendar=KAMCHATKA) == date(2026, 12, 2)


# --- Every state -----------------------------------------------------------------------------


MET, WITHDRAWN = DeadlineOutcome.MET, DeadlineOutcome.WITHDRAWN


@pytest.mark.parametrize(
    ("now", "ended_at", "outcome", "state", "days_late", "text"),
    [
        # Friday 27 November: Mon 30, Tue 1 are within three working days.
        (local(11, 27), None, None, DeadlineState.DUE_SOON, 0, "срок истекает"),
        # Wednesday 25 November: the third working day ahead is Monday 30 November.
        (local(11, 25), None, None, DeadlineState.OPEN, 0, "в работе"),
        # Saturday 5 December: four days of the region's calendar after the due day.
        (local(12, 5, 9), None, None, DeadlineState.LATE, 4, "просрочено на 4 дн."),
        (
            local(12, 5),
            local(12, 1, 23, 59),
            MET,
            DeadlineState.DONE_ON_TIME,
            0,
            "исполнено в срок",
        ),
        # Met exactly at the due time: on time.
        (local(12, 5), DUE_1_DEC, MET, DeadlineState.DONE_ON_TIME, 0, "исполнено в срок"),
        (
            local(12, 9),
            local(12, 5, 10),
            MET,
            DeadlineState.DONE_LATE,
            4,
            "исполнено с опозданием на 4 дн.",
        ),
        # Half an hour into the next day is a day late.
        (
            local(12, 9),
            local(12, 2, 0, 30),
            MET,
            DeadlineState.DONE_LATE,
            1,
            "исполнено с опозданием на 1 дн.",
        ),
        # Closed with the case after the due time: withdrawn, neither met nor late.
        (
            local(12, 9),
            local(12, 5),
            WITHDRAWN,
            DeadlineState.WITHDRAWN,
            0,
            "снято с контроля при закрытии",
        ),
    ],
    ids=[
        "due soon",
        "open",
        "late",
        "done on time",
        "done at the due time",
        "done late",
        "done minutes late",
        "closed with the case",
    ],
)
def test_each_state(
    now: datetime,
    ended_at: datetime | None,
    outcome: DeadlineOutcome | None,
    state: DeadlineState,
    days_late: int,
    text: str,
) -> None:
    result = standing(now=now, ended_at=ended_at, outcome=outcome)
    assert (result.state, result.days_late, standing_text(result)) == (state, days_late, text)
    assert result.is_open == (
        state in (DeadlineState.OPEN, DeadlineState.DUE_SOON, DeadlineState.LATE)
    )
    assert result.is_late_now == (state is DeadlineState.LATE)
    assert result.was_late == (state is DeadlineState.DONE_LATE)


def test_a_holiday_is_not_a_working_day_for_due_soon() -> None:
    # 31 December 2026 is a day off in Kamchatka's file, 1–8 January are holidays and 9–10
    # a weekend: on 30 December, 12 January is within three working days (11, 12, 13).
    calendar = WorkingCalendar(ZoneInfo("Asia/Kamchatka"), days_off=frozenset({date(2026, 12, 31)}))
    due_at = calendar.end_of_day(date(2027, 1, 12))
    now = datetime(2026, 12, 30, 12, tzinfo=calendar.timezone)
    result = classify(
        due_at=due_at, in_hours=False, ended_at=None, outcome=None, now=now, calendar=calendar
    )
    assert result.state is DeadlineState.DUE_SOON


def test_an_hour_rule_late_by_hours_is_one_day_late() -> None:
    due_at = local(12, 1, 15, 30)
    result = standing(now=local(12, 1, 18), due_at=due_at, in_hours=True)
    assert (result.state, result.days_late) == (DeadlineState.LATE, 1)
