"""The actions CSV: Russian header, Excel-friendly, injection-safe, only what the viewer sees."""

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hub.cases import ALL_CLASSES, Role, Viewer
from hub.cases.export import ACTIONS_CSV_HEADER, actions_csv
from hub.cases.queries import CaseDetail, get_case
from hub.regions import load_regions
from tests.case_data import (
    CURATOR_ACCOUNT_NAME,
    CURATOR_STAFF_ID,
    KAMCHATKA,
    MEASURES,
    ORGANISATIONS,
    SPECIALIST,
    SPECIALIST_PHONE,
    SPECIALIST_POSITION,
    seed_cases,
)

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
KAMCHATKA_TZ = ZoneInfo("Asia/Kamchatka")
CURATOR = Viewer(
    "semenova",
    CURATOR_ACCOUNT_NAME,
    Role.CURATOR,
    KAMCHATKA,
    "social",
    ALL_CLASSES,
    CURATOR_STAFF_ID,
)
HEALTH = Viewer("doctor", "Врач", Role.OFFICER, KAMCHATKA, "health", frozenset())
ADMIN = Viewer("admin", "Администратор", Role.ADMINISTRATOR, None, None, frozenset())

#: The shipped regions: due dates are read in each case region's calendar.
REGIONS = load_regions()


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory.begin() as session:
        seed_cases(session, NOW)
    with session_factory() as session:
        yield session


def _rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_one_row_per_action_under_a_russian_header(session: Session) -> None:
    detail = get_case(session, CURATOR, "KAM-1", now=NOW, regions=REGIONS)
    rows = _rows(actions_csv(detail, timezone=KAMCHATKA_TZ))
    assert tuple(rows[0]) == ACTIONS_CSV_HEADER
    assert rows[0][:3] == ["Мероприятие", "Вид помощи", "Ведомство"]
    first = rows[1]
    assert first[0] == MEASURES["A1"]
    assert first[1] == "медицинская"
    assert first[2] == ORGANISATIONS["health"]
    assert first[3:6] == [SPECIALIST, SPECIALIST_POSITION, "'" + SPECIALIST_PHONE]
    assert first[6] == "22.11.2026"
    assert first[7] == "назначено"
    assert first[8] == "да"
    assert first[9] == "просрочено на 2 дн."
    # Status time 4 Nov 03:00 UTC is 15:00 in Kamchatka.
    assert first[10] == "04.11.2026 15:00"
    assert [r[8] for r in rows[1:]] == ["да", "нет", "нет", "нет"]
    # A2 runs, A3 was done before its date, A4 left the plan.
    assert [r[9] for r in rows[2:]] == ["в работе", "исполнено в срок", "исключено из плана"]


def test_lines_end_with_crlf_for_excel(session: Session) -> None:
    detail = get_case(session, CURATOR, "KAM-1", now=NOW, regions=REGIONS)
    assert actions_csv(detail, timezone=KAMCHATKA_TZ).count("\r\n") == 5


def test_the_file_holds_only_what_the_viewer_may_see(session: Session) -> None:
    officer_rows = _rows(
        actions_csv(get_case(session, HEALTH, "KAM-1", now=NOW, regions=REGIONS), timezone=UTC)
    )
    admin_rows = _rows(
        actions_csv(get_case(session, ADMIN, "KAM-1", now=NOW, regions=REGIONS), timezone=UTC)
    )
    assert [r[0] for r in officer_rows[1:]] == [MEASURES["A1"], MEASURES["A4"]]
    # Administrators see no identity: no specialist's name, position or phone.
    assert all(r[3:6] == ["", "", ""] for r in admin_rows[1:])


def test_a_line_without_an_organisation_names_its_agency_never_its_code(
    session: Session,
) -> None:
    detail = get_case(session, CURATOR, "KAM-1", now=NOW, regions=REGIONS)
    unnamed = replace(detail, actions=(replace(detail.actions[0], responsible_organisation=None),))
    row = _rows(actions_csv(unnamed, timezone=UTC))[1]
    assert row[2] == "здравоохранение"


@pytest.mark.parametrize("formula", ['=HYPERLINK("x")', "+7 999", "-1+2", "@SUM(A1)", "\tx"])
def test_cells_a_spreadsheet_would_run_are_quoted(session: Session, formula: str) -> None:
    detail = get_case(session, CURATOR, "KAM-1", now=NOW, regions=REGIONS)
    poisoned = replace(
        detail, actions=(replace(detail.actions[0], measure=formula, specialist_name=formula),)
    )
    row = _rows(actions_csv(poisoned, timezone=UTC))[1]
    assert row[0] == "'" + formula
    assert row[3] == "'" + formula


def test_separators_and_quotes_inside_cells_survive(session: Session) -> None:
    detail = get_case(session, CURATOR, "KAM-1", now=NOW, regions=REGIONS)
    tricky = 'Консультация; «юрист» "ООО"\nвторая строка'
    one: CaseDetail = replace(detail, actions=(replace(detail.actions[0], measure=tricky),))
    assert _rows(actions_csv(one, timezone=UTC))[1][0] == tricky
