"""The plan's visits are owed pro rata through the month, from the plan's start if later."""

from datetime import date

import pytest

from hub.cases.visits import visits_due


@pytest.mark.parametrize(
    ("today", "plan_day", "owed"),
    [
        (date(2026, 12, 1), None, 0),  # the month has just begun
        (date(2026, 12, 15), None, 0),  # 2·15/31 < 1
        (date(2026, 12, 16), None, 1),  # half the month gone: one of two
        (date(2026, 12, 31), None, 2),  # the month's last day: both
        (date(2026, 12, 31), date(2026, 12, 20), 0),  # the plan began on the 20th: 2·12/31
        (date(2026, 12, 31), date(2026, 11, 3), 2),  # a plan from last month owes the whole month
        (date(2027, 2, 28), None, 2),  # February's 28 days
    ],
)
def test_visits_owed_by_a_day(today: date, plan_day: date | None, owed: int) -> None:
    assert visits_due(2, today=today, plan_day=plan_day) == owed
