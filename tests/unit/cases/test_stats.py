"""Region statistics on the seeded cases: months, outcomes, medians, what is late."""

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hub.cases import ALL_CLASSES, Role, Viewer
from hub.cases.deadlines import UTC_CALENDAR
from hub.cases.stats import STATS_MONTHS, CountBy, MonthFigures, region_stats
from hub.regions import WorkingCalendar
from hub.store import CaseFile
from tests.case_data import KALUGA, KAMCHATKA, seed_cases

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
KAMCHATKA_CALENDAR = WorkingCalendar(ZoneInfo("Asia/Kamchatka"))

SUPERVISOR = Viewer("boss", "Начальник", Role.SUPERVISOR, KAMCHATKA, None, ALL_CLASSES)
ADMIN = Viewer("admin", "Администратор", Role.ADMINISTRATOR, None, None, frozenset())
OFFICER = Viewer("doctor", "Врач", Role.OFFICER, KAMCHATKA, "health", frozenset())


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory.begin() as session:
        seed_cases(session, NOW)
    with session_factory() as session:
        yield session


def test_a_supervisor_gets_the_figures_of_the_region(session: Session) -> None:
    stats = region_stats(session, SUPERVISOR, region=None, now=NOW, calendar=KAMCHATKA_CALENDAR)
    assert stats.region == KAMCHATKA
    assert (stats.cases_total, stats.cases_open, stats.closed_total) == (5, 3, 2)
    assert stats.closure_reasons == (CountBy("goals_achieved", 1), CountBy("moved_away", 1))
    assert stats.goals_achieved_share == 0.5
    # Signal → decision: 10, 4 and 6 days; decision → plan: 5 and 3 days.
    assert stats.median_days_signal_to_decision == 6.0
    assert stats.median_days_decision_to_plan == 4.0
    # Health's A1 only: A4 left the plan, KLG-1 is in another region.
    assert stats.overdue_by_agency == (CountBy("health", 1),)
    assert stats.missing_reports == 1


def test_months_cover_a_year_to_now_in_the_region_s_time(session: Session) -> None:
    stats = region_stats(session, SUPERVISOR, region=None, now=NOW, calendar=KAMCHATKA_CALENDAR)
    assert len(stats.months) == STATS_MONTHS
    assert (stats.months[0].month, stats.months[-1].month) == ("2025-12", "2026-11")
    by_month = {m.month: m for m in stats.months}
    assert by_month["2026-08"] == MonthFigures("2026-08", opened=1, closed=0)
    assert by_month["2026-09"] == MonthFigures("2026-09", opened=1, closed=0)
    assert by_month["2026-10"] == MonthFigures("2026-10", opened=1, closed=0)
    assert by_month["2026-11"] == MonthFigures("2026-11", opened=2, closed=2)
    assert sum(m.opened for m in stats.months) == 5


def test_a_month_is_the_region_s_local_month(session: Session) -> None:
    # 31 Oct 15:00 UTC is already 1 November in Kamchatka (UTC+12).
    late_october = datetime(2026, 10, 31, 15, 0, tzinfo=UTC)
    session.add(
        CaseFile(case_ref="T-1", region="elsewhere", opened_at=late_october, updated_at=NOW)
    )
    session.flush()
    local = region_stats(session, ADMIN, region="elsewhere", now=NOW, calendar=KAMCHATKA_CALENDAR)
    utc = region_stats(session, ADMIN, region="elsewhere", now=NOW, calendar=UTC_CALENDAR)
    assert local.months[-2:] == (MonthFigures("2026-10", 0, 0), MonthFigures("2026-11", 1, 0))
    assert utc.months[-2:] == (MonthFigures("2026-10", 1, 0), MonthFigures("2026-11", 0, 0))


def test_an_administrator_chooses_a_region_or_gets_all(session: Session) -> None:
    everything = region_stats(session, ADMIN, region=None, now=NOW)
    kaluga = region_stats(session, ADMIN, region=KALUGA, now=NOW)
    assert (everything.region, everything.cases_total) == (None, 6)
    assert everything.overdue_by_agency == (CountBy("health", 2),)
    assert (kaluga.region, kaluga.cases_total, kaluga.closed_total) == (KALUGA, 1, 0)
    assert kaluga.goals_achieved_share is None
    assert kaluga.median_days_decision_to_plan is None


def test_a_supervisor_cannot_look_at_another_region(session: Session) -> None:
    stats = region_stats(session, SUPERVISOR, region=KALUGA, now=NOW)
    assert (stats.region, stats.cases_total) == (KAMCHATKA, 5)


def test_officers_get_no_statistics(session: Session) -> None:
    with pytest.raises(PermissionError):
        region_stats(session, OFFICER, region=None, now=NOW)
