"""The case list and case page read model: each role's scope, rows and fields, on both databases."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hub.cases import ALL_CLASSES, Role, Viewer
from hub.cases.queries import (
    CaseFilters,
    CaseNotVisible,
    get_case,
    list_cases,
    normalised_name,
)
from hub.regions import load_regions
from tests.case_data import (
    CURATOR_ACCOUNT_NAME,
    CURATOR_NAME,
    FAMILY_1,
    FAMILY_2,
    KALUGA,
    KAMCHATKA,
    OTHER_CURATOR_NAME,
    PLAN_GOALS,
    REPORT_SUMMARY,
    SOCIAL_COMMENT,
    SOCIAL_NOTE,
    SPECIALIST,
    seed_cases,
)

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)

#: The shipped regions: due dates are read in each case region's calendar.
REGIONS = load_regions()


def _viewer(
    login: str,
    role: Role,
    *,
    name: str = "Тестовый Пользователь",
    region: str | None = KAMCHATKA,
    agency: str | None = None,
    classes: frozenset[str] = ALL_CLASSES,
) -> Viewer:
    return Viewer(login, name, role, region, agency, classes)


CURATOR = _viewer("semenova", Role.CURATOR, name=CURATOR_ACCOUNT_NAME, agency="social")
OTHER_CURATOR = _viewer("kovalev", Role.CURATOR, name=OTHER_CURATOR_NAME, agency="social")
KALUGA_CURATOR = _viewer("kaluga", Role.CURATOR, name=CURATOR_NAME, region=KALUGA)
SUPERVISOR = _viewer("boss", Role.SUPERVISOR)
HEALTH = _viewer("doctor", Role.OFFICER, agency="health", classes=frozenset({"health"}))
EDUCATION = _viewer("teacher", Role.OFFICER, agency="education", classes=frozenset({"social"}))
POLICE = _viewer("police", Role.OFFICER, agency="police", classes=frozenset({"conduct"}))
KDN = _viewer("kdn", Role.OFFICER, agency="kdn")
ADMIN = _viewer("admin", Role.ADMINISTRATOR, region=None, classes=frozenset())

EVERYONE = [CURATOR, OTHER_CURATOR, KALUGA_CURATOR, SUPERVISOR, HEALTH, EDUCATION, POLICE, ADMIN]


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory.begin() as session:
        seed_cases(session, NOW)
    with session_factory() as session:
        yield session


def _refs(session: Session, viewer: Viewer, filters: CaseFilters | None = None) -> list[str]:
    return [
        s.case_ref
        for s in list_cases(session, viewer, filters or CaseFilters(), now=NOW, regions=REGIONS)
    ]


# --- Scope -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        # Overdue first, then by next deadline, then by reference.
        (CURATOR, ["KAM-1", "KAM-2"]),
        (OTHER_CURATOR, ["KAM-3", "KAM-5"]),
        (KALUGA_CURATOR, ["KLG-1"]),
        (SUPERVISOR, ["KAM-1", "KAM-2", "KAM-3", "KAM-4", "KAM-5"]),
        # Health has action lines on KAM-1 and sent the referral of KAM-4.
        (HEALTH, ["KAM-1", "KAM-4"]),
        (EDUCATION, ["KAM-1"]),
        (POLICE, ["KAM-1", "KAM-3"]),
        (KDN, []),
        (ADMIN, ["KAM-1", "KLG-1", "KAM-2", "KAM-3", "KAM-4", "KAM-5"]),
    ],
    ids=lambda v: v.login if isinstance(v, Viewer) else None,
)
def test_each_role_lists_exactly_its_scope_in_order(
    session: Session, viewer: Viewer, expected: list[str]
) -> None:
    assert _refs(session, viewer) == expected


def test_a_curator_is_matched_by_name_ignoring_case_yo_and_spaces(session: Session) -> None:
    assert normalised_name(" СЕМЁНОВА  алёна\tИгоревна ") == normalised_name(CURATOR_NAME)
    assert _refs(session, CURATOR) == ["KAM-1", "KAM-2"]


def test_the_list_shows_names_to_those_who_see_identity_only(session: Session) -> None:
    mine = {
        s.case_ref: s for s in list_cases(session, CURATOR, CaseFilters(), now=NOW, regions=REGIONS)
    }
    assert mine["KAM-1"].family_name == FAMILY_1
    assert mine["KAM-1"].curator_name == CURATOR_NAME
    for summary in list_cases(session, ADMIN, CaseFilters(), now=NOW, regions=REGIONS):
        assert summary.family_name is None
        assert summary.curator_name is None


def test_out_of_scope_and_unknown_cases_look_the_same(session: Session) -> None:
    with pytest.raises(CaseNotVisible) as out_of_scope:
        get_case(session, OTHER_CURATOR, "KAM-1", now=NOW, regions=REGIONS)
    with pytest.raises(CaseNotVisible) as unknown:
        get_case(session, OTHER_CURATOR, "KAM-404", now=NOW, regions=REGIONS)
    assert str(out_of_scope.value) == "case KAM-1 not found"
    assert str(unknown.value) == "case KAM-404 not found"


@pytest.mark.parametrize(
    ("viewer", "case_ref"),
    [
        (KALUGA_CURATOR, "KAM-1"),  # a namesake in another region
        (SUPERVISOR, "KLG-1"),
        (EDUCATION, "KAM-3"),
        (KDN, "KAM-1"),
    ],
    ids=lambda v: v.login if isinstance(v, Viewer) else v,
)
def test_no_role_opens_a_case_outside_its_scope(
    session: Session, viewer: Viewer, case_ref: str
) -> None:
    with pytest.raises(CaseNotVisible):
        get_case(session, viewer, case_ref, now=NOW, regions=REGIONS)


@pytest.mark.parametrize("viewer", EVERYONE, ids=lambda v: v.login)
def test_the_page_and_the_list_agree_on_every_figure(session: Session, viewer: Viewer) -> None:
    for summary in list_cases(session, viewer, CaseFilters(), now=NOW, regions=REGIONS):
        assert (
            get_case(session, viewer, summary.case_ref, now=NOW, regions=REGIONS).summary == summary
        )


# --- Overdue and deadlines -------------------------------------------------------------------


def test_overdue_counts_a_late_line_once_and_adds_other_late_deadlines(session: Session) -> None:
    by_ref = {
        s.case_ref: s
        for s in list_cases(session, SUPERVISOR, CaseFilters(), now=NOW, regions=REGIONS)
    }
    # A1 (late, with its own late deadline) + education's missing report; A3 is done
    # and A4 was dropped from the plan.
    assert by_ref["KAM-1"].overdue_count == 2
    assert by_ref["KAM-1"].next_deadline == NOW - timedelta(days=2)
    assert by_ref["KAM-1"].conflict_count == 1
    assert by_ref["KAM-2"].overdue_count == 0
    assert by_ref["KAM-2"].next_deadline == NOW + timedelta(days=3)
    assert by_ref["KAM-3"].next_deadline is None


def test_an_officer_counts_only_its_agency_s_lines_deadlines_and_conflicts(
    session: Session,
) -> None:
    (health_view, _) = list_cases(session, HEALTH, CaseFilters(), now=NOW, regions=REGIONS)
    (education_view,) = list_cases(session, EDUCATION, CaseFilters(), now=NOW, regions=REGIONS)
    assert (health_view.overdue_count, health_view.conflict_count) == (1, 1)
    assert health_view.next_deadline == NOW - timedelta(days=2)
    assert (education_view.overdue_count, education_view.conflict_count) == (1, 0)
    assert education_view.next_deadline == NOW - timedelta(days=1)


def test_overdue_follows_the_given_now(session: Session) -> None:
    before = NOW - timedelta(days=3)
    (kam1, _) = list_cases(session, CURATOR, CaseFilters(), now=before, regions=REGIONS)
    assert kam1.case_ref == "KAM-1"
    assert kam1.overdue_count == 0
    detail = get_case(session, CURATOR, "KAM-1", now=before, regions=REGIONS)
    assert [a.action_id for a in detail.actions if a.overdue] == []
    assert [d.overdue for d in detail.deadlines] == [False, False, False, False]


def test_the_case_page_marks_each_late_line_and_deadline(session: Session) -> None:
    detail = get_case(session, CURATOR, "KAM-1", now=NOW, regions=REGIONS)
    assert {a.action_id: a.overdue for a in detail.actions} == {
        "A1": True,
        "A2": False,
        "A3": False,
        "A4": False,  # status "overdue", but no longer in the plan
    }
    assert [(d.kind, d.subject, d.overdue) for d in detail.deadlines] == [
        ("survey", "", False),  # met
        ("action", "A1", True),
        ("report", "2026-Q3", True),
        ("action", "A2", False),
    ]


# --- Filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "filters", "expected"),
    [
        (SUPERVISOR, CaseFilters(state="plan"), ["KAM-2"]),
        (SUPERVISOR, CaseFilters(category="sop"), ["KAM-1", "KAM-3"]),
        (SUPERVISOR, CaseFilters(overdue_only=True), ["KAM-1"]),
        (SUPERVISOR, CaseFilters(text="вершинина"), ["KAM-1"]),
        (SUPERVISOR, CaseFilters(text="ОРЛОВА"), ["KAM-3"]),
        (SUPERVISOR, CaseFilters(text="kam-2"), ["KAM-2"]),
        (SUPERVISOR, CaseFilters(text="Смирнова", category="sop"), []),
        (SUPERVISOR, CaseFilters(region=KALUGA), []),
        (CURATOR, CaseFilters(state="post_support"), []),
        (ADMIN, CaseFilters(region=KALUGA), ["KLG-1"]),
        (ADMIN, CaseFilters(overdue_only=True), ["KAM-1", "KLG-1"]),
        # Administrators do not see names, so cannot search by them either.
        (ADMIN, CaseFilters(text="Вершинина"), []),
        (ADMIN, CaseFilters(text="klg"), ["KLG-1"]),
    ],
)
def test_filters_narrow_the_list(
    session: Session, viewer: Viewer, filters: CaseFilters, expected: list[str]
) -> None:
    assert _refs(session, viewer, filters) == expected


def test_the_audit_detail_of_filters_names_no_one() -> None:
    filters = CaseFilters(state="plan", category="sop", overdue_only=True, text=FAMILY_2)
    assert filters.audit_detail() == "state=plan category=sop overdue_only=1 text=1"
    assert CaseFilters().audit_detail() == ""


# --- Fields and rows on the case page --------------------------------------------------------


def test_a_curator_sees_the_whole_case(session: Session) -> None:
    detail = get_case(session, CURATOR, "KAM-1", now=NOW, regions=REGIONS)
    assert detail.summary.family_name == FAMILY_1
    assert [a.action_id for a in detail.actions] == ["A1", "A2", "A3", "A4"]
    assert detail.actions[0].notes == SOCIAL_NOTE
    assert detail.actions[0].specialist_name == SPECIALIST
    assert detail.actions[1].history[0].comment == SOCIAL_COMMENT
    assert [(p.version, p.current, p.goals) for p in detail.plans] == [
        (1, False, PLAN_GOALS),
        (2, True, PLAN_GOALS),
    ]
    assert [r.summary for r in detail.reports] == [REPORT_SUMMARY]
    assert [c.code for c in detail.conflicts] == ["case.action_unknown"]
    assert [(e.message_type, e.sender) for e in detail.timeline] == [
        ("FamilyReferral", "police"),
        ("SupportPlan", "social"),
        ("SupportPlan", "social"),
        ("ActionStatusUpdate", "education"),
        ("PeriodicReport", "education"),
        ("ActionStatusUpdate", "health"),
    ]
    plan_v2 = detail.timeline[2]
    assert [(d.recipient, d.status) for d in plan_v2.deliveries] == [
        ("health", "delivered"),
        ("education", "delivered"),
        ("employment", "dead"),
        ("kdn", "delivered"),
    ]
    assert plan_v2.deliveries[0].delivered_at == plan_v2.at + timedelta(minutes=1)


def test_an_officer_sees_its_own_lines_and_messages_and_no_social_text(session: Session) -> None:
    detail = get_case(session, HEALTH, "KAM-1", now=NOW, regions=REGIONS)
    assert detail.summary.family_name == FAMILY_1  # an agency must know whom it helps
    assert [a.action_id for a in detail.actions] == ["A1", "A4"]
    assert detail.actions[0].specialist_name == SPECIALIST
    assert detail.actions[0].notes is None  # health may not read the social class
    assert all(p.goals is None for p in detail.plans)
    assert [(d.kind, d.subject) for d in detail.deadlines] == [("action", "A1")]
    assert detail.reports == ()
    assert [c.sender for c in detail.conflicts] == ["health"]
    # What health received (its own delivery only) and what it sent (every delivery).
    assert [
        (e.message_type, e.sender, [d.recipient for d in e.deliveries]) for e in detail.timeline
    ] == [
        ("SupportPlan", "social", ["health"]),
        ("SupportPlan", "social", ["health"]),
        ("ActionStatusUpdate", "health", ["social"]),
    ]


def test_an_officer_with_the_social_class_reads_its_own_comments(session: Session) -> None:
    detail = get_case(session, EDUCATION, "KAM-1", now=NOW, regions=REGIONS)
    assert [a.action_id for a in detail.actions] == ["A2"]
    assert detail.actions[0].history[0].comment == SOCIAL_COMMENT
    assert [r.summary for r in detail.reports] == [REPORT_SUMMARY]
    assert detail.conflicts == ()


def test_an_administrator_sees_no_names_and_no_free_text(session: Session) -> None:
    detail = get_case(session, ADMIN, "KAM-1", now=NOW, regions=REGIONS)
    assert (detail.summary.family_name, detail.summary.curator_name) == (None, None)
    assert all(a.specialist_name is None and a.notes is None for a in detail.actions)
    assert all(s.comment is None for a in detail.actions for s in a.history)
    assert all(p.curator_name is None and p.goals is None for p in detail.plans)
    assert all(r.summary is None for r in detail.reports)
    # Enough to steer delivery: every message and its deliveries.
    assert len(detail.timeline) == 6
    assert detail.summary.overdue_count == 2
