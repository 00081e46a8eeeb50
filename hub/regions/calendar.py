"""A region's working calendar and the deadline arithmetic built on it.

Deadlines run in the region's local time: a referral sent at 23:30 UTC on a Friday
arrives on Saturday in Kamchatka, so its working days start counting from there.
Working days are Monday to Friday less the Russian public holidays and days off the
``holidays`` library knows (fixed holidays, days off moved by the government's yearly
decree, holidays on a weekend moved to the next weekday), plus the Saturdays the
decree made working; the region file adds what the library does not know yet.
Every result is an aware UTC datetime, which is what the store keeps.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal, get_args
from zoneinfo import ZoneInfo

import holidays

DeadlineUnit = Literal["working_days", "hours", "calendar_days"]
DEADLINE_UNITS: tuple[str, ...] = get_args(DeadlineUnit)


def is_weekend(day: date) -> bool:
    """Saturday or Sunday."""
    return day.weekday() >= 5  # Monday is 0


@lru_cache(maxsize=256)
def russian_calendar(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """The public holidays and days off of ``year`` and its working weekend days.

    Built once per year from ``holidays``; years the library has no decree for
    carry only the fixed holidays.
    """
    known = holidays.country_holidays("RU", years=year)
    return (
        frozenset(known),
        frozenset(day for day in known.weekend_workdays if day.year == year),
    )


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days a region works, and its time zone.

    ``transferred_working_days`` are weekend days the government made working;
    ``days_off`` are weekdays off that ``holidays`` may not know (a new decree, a
    regional holiday). Both come from the region file and win over the library.
    """

    timezone: ZoneInfo
    transferred_working_days: frozenset[date] = frozenset()
    days_off: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        if day in self.transferred_working_days:
            return True
        if day in self.days_off:
            return False
        public_holidays, weekend_workdays = russian_calendar(day.year)
        if is_weekend(day):
            return day in weekend_workdays
        return day not in public_holidays

    def add_working_days(self, start: date, amount: int) -> date:
        """The ``amount``-th working day after ``start`` (``start`` itself never counts).

        Raises:
            ValueError: ``amount`` is below 1.
        """
        if amount < 1:
            raise ValueError(f"amount must be at least 1, got {amount}")
        day = start
        while amount:
            day += timedelta(days=1)
            if self.is_working_day(day):
                amount -= 1
        return day

    def end_of_day(self, day: date) -> datetime:
        """The local midnight that ends ``day``, as an aware UTC datetime."""
        midnight = datetime.combine(day + timedelta(days=1), time(), tzinfo=self.timezone)
        return midnight.astimezone(UTC)

    def local(self, moment: datetime) -> datetime:
        """``moment`` in the region's time zone.

        Raises:
            ValueError: ``moment`` is naive (it would be read as the server's time).
        """
        if moment.utcoffset() is None:
            raise ValueError("a naive datetime has no place on a region's calendar")
        return moment.astimezone(self.timezone)


@dataclass(frozen=True)
class Deadline:
    """How long a stage may take: an amount of working days, hours or calendar days."""

    amount: int
    unit: DeadlineUnit

    def __post_init__(self) -> None:
        if self.unit not in DEADLINE_UNITS:
            raise ValueError(f"unit must be one of {', '.join(DEADLINE_UNITS)}, got {self.unit!r}")
        if self.amount < 1:
            raise ValueError(f"amount must be positive, got {self.amount}")

    def due(self, start: datetime, calendar: WorkingCalendar) -> datetime:
        """When a stage started at ``start`` (aware, any zone) is due, as aware UTC.

        ``hours`` count absolute time. ``calendar_days`` and ``working_days`` end at
        the local midnight closing the day reached; working days count from the day
        after ``start``'s local date, so a Friday-evening referral given one working
        day is due at the end of Monday (or of the next working day after it).
        """
        local_start = calendar.local(start)  # refuses a naive start
        if self.unit == "hours":
            # Absolute hours: add in UTC so a DST change cannot stretch or shrink them.
            return local_start.astimezone(UTC) + timedelta(hours=self.amount)
        local_date = local_start.date()
        if self.unit == "calendar_days":
            return calendar.end_of_day(local_date + timedelta(days=self.amount))
        return calendar.end_of_day(calendar.add_working_days(local_date, self.amount))
