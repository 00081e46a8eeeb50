"""Working days follow the Russian production calendar, and deadlines run in local time."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.regions import Deadline, WorkingCalendar, load_regions

REGIONS = load_regions()
KAMCHATKA = REGIONS.get("kamchatka").calendar
KALUGA = REGIONS.get("kaluga").calendar
#: Only what the holidays library knows, on UTC days.
LIBRARY_ONLY = WorkingCalendar(ZoneInfo("UTC"))


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 1, 1), False),  # New Year holidays
        (date(2026, 1, 9), False),  # day off moved from Saturday 3 January
        (date(2026, 1, 12), True),
        (date(2026, 2, 23), False),  # Defender of the Fatherland Day
        (date(2026, 3, 9), False),  # 8 March fell on a Sunday
        (date(2026, 3, 14), False),  # an ordinary Saturday
        (date(2026, 5, 11), False),  # 9 May fell on a Saturday
        (date(2026, 6, 12), False),  # Russia Day
        (date(2026, 11, 4), False),  # Unity Day
        (date(2026, 11, 5), True),
        (date(2026, 12, 31), False),  # day off moved from Sunday 4 January
        (date(2027, 2, 20), True),  # a Saturday made working
        (date(2027, 2, 22), False),  # the Monday off it bought
    ],
)
def test_known_days_follow_the_production_calendar(day: date, working: bool) -> None:
    for calendar in (KAMCHATKA, KALUGA, LIBRARY_ONLY):
        assert calendar.is_working_day(day) is working


def test_the_region_file_adds_what_the_library_does_not_know() -> None:
    # Given a decree newer than the library: Friday off, the Saturday after it working
    friday, saturday = date(2026, 3, 13), date(2026, 3, 14)
    calendar = WorkingCalendar(
        ZoneInfo("Europe/Moscow"),
        transferred_working_days=frozenset({saturday}),
        days_off=frozenset({friday}),
    )
    assert LIBRARY_ONLY.is_working_day(friday)
    assert not LIBRARY_ONLY.is_working_day(saturday)
    # Then the file's days win
    assert not calendar.is_working_day(friday)
    assert calendar.is_working_day(saturday)


def test_the_shipped_transfers_agree_with_the_library_for_2026_and_2027() -> None:
    known = holidays.country_holidays("RU", years=[2026, 2027])
    assert known.weekend_workdays == {date(2027, 2, 20)}
    for region in REGIONS.regions.values():
        assert region.calendar.transferred_working_days == known.weekend_workdays
        assert region.calendar.days_off <= set(known)


def test_working_days_are_counted_after_the_start_day() -> None:
    assert KALUGA.add_working_days(date(2026, 3, 13), 1) == date(2026, 3, 16)  # Fri → Mon
    assert KALUGA.add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 10)  # 9 March off
    assert KALUGA.add_working_days(date(2026, 12, 30), 1) == date(2027, 1, 11)
    assert KALUGA.add_working_days(date(2027, 2, 19), 1) == date(2027, 2, 20)
    with pytest.raises(ValueError, match="at least 1"):
        KALUGA.add_working_days(date(2026, 3, 13), 0)


def test_the_end_of_a_day_is_the_next_local_midnight_in_utc() -> None:
    assert KAMCHATKA.end_of_day(date(2026, 3, 16)) == datetime(2026, 3, 16, 12, tzinfo=UTC)
    assert KALUGA.end_of_day(date(2026, 3, 16)) == datetime(2026, 3, 16, 21, tzinfo=UTC)


def test_a_naive_moment_has_no_local_time() -> None:
    with pytest.raises(ValueError, match="naive"):
        KALUGA.local(datetime(2026, 3, 13, 12))
    with pytest.raises(ValueError, match="naive"):
        Deadline(4, "hours").due(datetime(2026, 3, 13, 12), KALUGA)


@pytest.mark.parametrize(
    ("amount", "unit", "message"),
    [(0, "hours", "positive"), (-1, "working_days", "positive"), (1, "weeks", "unit")],
)
def test_a_deadline_refuses_a_non_positive_amount_or_an_unknown_unit(
    amount: int, unit: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Deadline(amount, unit)  # type: ignore[arg-type]  # the unit is wrong on purpose


THURSDAY_2330_MOSCOW = datetime(2026, 3, 12, 20, 30, tzinfo=UTC)  # Friday 08:30 in Kamchatka
FRIDAY_2330_UTC = datetime(2026, 3, 13, 23, 30, tzinfo=UTC)  # Saturday in Kamchatka


@pytest.mark.parametrize(
    ("deadline", "start", "calendar", "due"),
    [
        # One working day: Thursday night in Kaluga is due on Friday, but it is
        # already Friday in Kamchatka, so there it is due at the end of Monday.
        (Deadline(1, "working_days"), THURSDAY_2330_MOSCOW, KALUGA, datetime(2026, 3, 13, 21)),
        (Deadline(1, "working_days"), THURSDAY_2330_MOSCOW, KAMCHATKA, datetime(2026, 3, 16, 12)),
        # A Friday-evening referral is due at the end of Monday, unless Monday is off.
        (Deadline(1, "working_days"), datetime(2026, 3, 13, 18, tzinfo=ZoneInfo("Europe/Moscow")),
         KALUGA, datetime(2026, 3, 16, 21)),
        (Deadline(1, "working_days"), datetime(2026, 3, 6, 18, tzinfo=ZoneInfo("Europe/Moscow")),
         KALUGA, datetime(2026, 3, 10, 21)),
        # Across the New Year holidays: 31 December 2026 is a day off too.
        (Deadline(1, "working_days"), datetime(2026, 12, 30, 10, tzinfo=ZoneInfo("Europe/Moscow")),
         KALUGA, datetime(2027, 1, 11, 21)),
        (Deadline(5, "working_days"), datetime(2026, 4, 29, 9, tzinfo=UTC), KALUGA,
         datetime(2026, 5, 7, 21)),
        # Calendar days: 23:30 UTC on Friday is Saturday in Kamchatka.
        (Deadline(1, "calendar_days"), FRIDAY_2330_UTC, KAMCHATKA, datetime(2026, 3, 15, 12)),
        (Deadline(1, "calendar_days"), FRIDAY_2330_UTC, LIBRARY_ONLY, datetime(2026, 3, 15)),
        # Hours are absolute, whatever the zone of the start.
        (Deadline(4, "hours"), FRIDAY_2330_UTC, KALUGA, datetime(2026, 3, 14, 3, 30)),
        (Deadline(24, "hours"), datetime(2026, 3, 14, 11, 30, tzinfo=ZoneInfo("Asia/Kamchatka")),
         KAMCHATKA, datetime(2026, 3, 14, 23, 30)),
    ],
    ids=[
        "thursday-night-kaluga", "thursday-night-kamchatka", "friday-evening",
        "monday-holiday", "new-year", "may-holidays", "calendar-day-kamchatka",
        "calendar-day-utc", "hours", "hours-from-local-time",
    ],
)  # fmt: skip
def test_a_deadline_is_due_in_the_regions_local_time(
    deadline: Deadline, start: datetime, calendar: WorkingCalendar, due: datetime
) -> None:
    result = deadline.due(start, calendar)
    assert result == due.replace(tzinfo=UTC)
    assert result.tzinfo is UTC


CALENDARS = st.sampled_from(
    [KAMCHATKA, KALUGA, LIBRARY_ONLY, WorkingCalendar(ZoneInfo("America/New_York"))]
)
STARTS = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2028, 12, 31),
    timezones=st.sampled_from(
        [UTC, ZoneInfo("Asia/Kamchatka"), ZoneInfo("Europe/Moscow"), ZoneInfo("America/New_York")]
    ),
    allow_imaginary=False,
)
AMOUNTS = st.integers(min_value=1, max_value=30)


@given(start=STARTS, amount=AMOUNTS, calendar=CALENDARS)
def test_working_days_end_at_local_midnight_after_exactly_amount_working_days(
    start: datetime, amount: int, calendar: WorkingCalendar
) -> None:
    due = Deadline(amount, "working_days").due(start, calendar)

    assert due.tzinfo is UTC
    assert due > start
    local_due = calendar.local(due)
    assert local_due.time() == time(0)
    last_day = local_due.date() - timedelta(days=1)
    assert calendar.is_working_day(last_day)
    first_day = calendar.local(start).date() + timedelta(days=1)
    counted = sum(
        calendar.is_working_day(first_day + timedelta(days=n))
        for n in range((last_day - first_day).days + 1)
    )
    assert counted == amount


@given(starts=st.lists(STARTS, min_size=2, max_size=2), amount=AMOUNTS, calendar=CALENDARS)
def test_working_days_due_never_moves_back_for_a_later_start(
    starts: list[datetime], amount: int, calendar: WorkingCalendar
) -> None:
    earlier, later = sorted(starts)
    deadline = Deadline(amount, "working_days")
    assert deadline.due(earlier, calendar) <= deadline.due(later, calendar)


@given(
    start=STARTS, amounts=st.lists(AMOUNTS, min_size=2, max_size=2, unique=True), calendar=CALENDARS
)
def test_working_days_due_moves_later_for_a_larger_amount(
    start: datetime, amounts: list[int], calendar: WorkingCalendar
) -> None:
    fewer, more = (Deadline(amount, "working_days") for amount in sorted(amounts))
    assert fewer.due(start, calendar) < more.due(start, calendar)


@given(start=STARTS, amount=st.integers(min_value=1, max_value=24 * 60), calendar=CALENDARS)
def test_hours_are_absolute_and_come_back_in_utc(
    start: datetime, amount: int, calendar: WorkingCalendar
) -> None:
    due = Deadline(amount, "hours").due(start, calendar)
    assert due - start == timedelta(hours=amount)
    assert due.tzinfo is UTC


@given(start=STARTS, amount=AMOUNTS, calendar=CALENDARS)
def test_calendar_days_end_at_the_local_midnight_after_the_nth_day(
    start: datetime, amount: int, calendar: WorkingCalendar
) -> None:
    due = Deadline(amount, "calendar_days").due(start, calendar)

    assert due.tzinfo is UTC
    local_due = calendar.local(due)
    assert local_due.time() == time(0)
    assert local_due.date() == calendar.local(start).date() + timedelta(days=amount + 1)
