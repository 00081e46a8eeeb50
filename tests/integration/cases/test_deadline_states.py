"""Every state a deadline can be in, reached through real signed messages, on both databases.

Each row of the table plays one case: a plan whose health line is due on a day around
"today" (the hub's clock, held still, in Kamchatka's calendar), the executor's status
if any, and the closure if the row closes the case. Then the line is read as every
reader reads it: the case page's action and deadline rows, the case's counts and next
deadline, the CSV and the region statistics must all tell the same state.
"""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hub.cases import (
    ALL_CLASSES,
    DeadlineState,
    Role,
    Viewer,
    actions_csv,
    get_case,
    region_stats,
)
from hub.config import Settings
from hub.ingest import Ingestor, build_ingestor
from hub.regions import load_regions
from tests.conftest import Enqueued
from tests.factories import Signers
from tests.integration.cases.story import CaseStory

REGIONS = load_regions()
KAMCHATKA = REGIONS.get("kamchatka").calendar
HEALTH_LINE = "ИПСС-0457-03"
SUPERVISOR = Viewer("boss", "Начальник", Role.SUPERVISOR, "kamchatka", None, ALL_CLASSES)
#: The hub's clock, held still for the whole test: every message arrives at this instant.
NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = KAMCHATKA.local(NOW).date()


@dataclass(frozen=True)
class Row:
    #: The health line's due day.
    due: date
    #: The health executor's status, if it sends one.
    status: str | None
    state: DeadlineState
    days_late: int
    mark: str
    closed: bool = False


ROWS = {
    "open": Row(
        due=KAMCHATKA.add_working_days(TODAY, 10),
        status=None,
        state=DeadlineState.OPEN,
        days_late=0,
        mark="в работе",
    ),
    "due soon": Row(
        due=KAMCHATKA.add_working_days(TODAY, 2),
        status="accepted",
        state=DeadlineState.DUE_SOON,
        days_late=0,
        mark="срок истекает",
    ),
    "late": Row(
        due=TODAY - timedelta(days=3),
        status="in_progress",
        state=DeadlineState.LATE,
        days_late=3,
        mark="просрочено на 3 дн.",
    ),
    "done on time": Row(
        due=TODAY + timedelta(days=30),
        status="done",
        state=DeadlineState.DONE_ON_TIME,
        days_late=0,
        mark="исполнено в срок",
    ),
    "done late": Row(
        due=TODAY - timedelta(days=4),
        status="done",
        state=DeadlineState.DONE_LATE,
        days_late=4,
        mark="исполнено с опозданием на 4 дн.",
    ),
    "closed with the case": Row(
        due=TODAY - timedelta(days=2),
        status="accepted",
        state=DeadlineState.WITHDRAWN,
        days_late=0,
        mark="снято с контроля при закрытии",
        closed=True,
    ),
}


@pytest.fixture
def still_ingestor(
    settings: Settings,
    session_factory: sessionmaker[Session],
    partners: dict[str, str],
    enqueued: Enqueued,
) -> Ingestor:
    return build_ingestor(settings, session_factory, clock=lambda: NOW, on_committed=enqueued)


def play(story: CaseStory, row: Row) -> None:
    story.referral()
    story.registered()
    story.surveyed()
    story.consented()
    story.decided()
    far = TODAY + timedelta(days=60)
    story.planned(deadlines=[row.due, far, far])
    if row.status is not None:
        story.status(HEALTH_LINE, row.status)
    if row.closed:
        story.closed("moved_away")


@pytest.mark.parametrize("name", list(ROWS))
def test_each_reader_tells_the_same_state(
    name: str,
    still_ingestor: Ingestor,
    signers: Signers,
    session_factory: sessionmaker[Session],
) -> None:
    row = ROWS[name]
    story = CaseStory(still_ingestor, signers, "KAM-2026-000500", created_at=NOW)
    play(story, row)

    with session_factory() as session:
        detail = get_case(session, SUPERVISOR, story.case_ref, now=NOW, regions=REGIONS)
        stats = region_stats(session, SUPERVISOR, region=None, now=NOW, calendar=KAMCHATKA)
    due_text = row.due.strftime("%d.%m.%Y")

    # The action line and its own deadline: one state, one date, one mark.
    line = next(a for a in detail.actions if a.action_id == HEALTH_LINE)
    clock = next(d for d in detail.deadlines if (d.kind, d.subject) == ("action", HEALTH_LINE))
    for view in (line, clock):
        assert (view.state, view.days_late, view.due_text, view.mark) == (
            row.state,
            row.days_late,
            due_text,
            row.mark,
        )
    assert line.overdue == clock.overdue == (row.state is DeadlineState.LATE)

    # The case's counts: late now and was late are told apart.
    summary = detail.summary
    assert (summary.overdue_count > 0) == (row.state is DeadlineState.LATE)
    assert summary.late_done_count == (1 if row.state is DeadlineState.DONE_LATE else 0)

    # The CSV carries the page's date and mark.
    [header, health, *_] = list(
        csv.reader(io.StringIO(actions_csv(detail, timezone=UTC)[1:]), delimiter=";")
    )
    assert (health[header.index("Срок")], health[header.index("Отметка о сроке")]) == (
        due_text,
        row.mark,
    )

    # The statistics count the line once, in its state, under health.
    [health_figures] = [a for a in stats.lateness_by_agency if a.agency == "health"]
    assert (
        health_figures.late_now,
        health_figures.done_late,
        health_figures.done_on_time,
    ) == (
        int(row.state is DeadlineState.LATE),
        int(row.state is DeadlineState.DONE_LATE),
        int(row.state is DeadlineState.DONE_ON_TIME),
    )


def test_a_closed_case_owes_nothing_and_says_nothing_was_met(
    still_ingestor: Ingestor, signers: Signers, session_factory: sessionmaker[Session]
) -> None:
    # Given a case with a late line, a line never accepted and reports never sent, closed
    story = CaseStory(still_ingestor, signers, "KAM-2026-000501", created_at=NOW)
    play(story, ROWS["closed with the case"])

    with session_factory() as session:
        detail = get_case(session, SUPERVISOR, story.case_ref, now=NOW, regions=REGIONS)

    # Then nothing is next, nothing is late, and only what was answered reads as met
    assert detail.summary.next_deadline is None
    assert detail.summary.next_deadline_text is None
    assert detail.summary.overdue_count == 0
    assert not any(a.overdue for a in detail.actions)
    answered = {(d.kind, d.subject) for d in detail.deadlines if d.outcome == "met"}
    assert answered == {("survey", ""), ("decision", ""), ("plan", ""), ("acceptance", HEALTH_LINE)}
    withdrawn = [d for d in detail.deadlines if d.state is DeadlineState.WITHDRAWN]
    assert {d.kind for d in withdrawn} == {"acceptance", "action", "report"}
    assert {d.mark for d in withdrawn} == {"снято с контроля при закрытии"}
    assert all(a.mark == "снято с контроля при закрытии" for a in detail.actions)
