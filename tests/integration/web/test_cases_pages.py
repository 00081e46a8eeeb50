"""The case pages, the case API and the statistics over a real hub server, role by role.

Given the seeded cases (tests/case_data.py) and one account per role, each person
opens every page and endpoint: it answers 200, 403 or 404 as the role's scope says,
never shows a family outside that scope, and leaves an audit row for each look.
"""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from hub.cases.scope import Role
from hub.people import add_person, list_audit
from hub.store import CaseCuratorAssignment
from tests.case_data import (
    CASE_REFS,
    CURATOR_ACCOUNT_NAME,
    CURATOR_NAME,
    CURATOR_STAFF_ID,
    FAMILY_1,
    FAMILY_2,
    FAMILY_3,
    FAMILY_4,
    FAMILY_5,
    FAMILY_KALUGA,
    KALUGA,
    KALUGA_CURATOR_STAFF_ID,
    KAMCHATKA,
    OTHER_CURATOR_NAME,
    OTHER_CURATOR_STAFF_ID,
    PLAN_GOALS,
    SOCIAL_NOTE,
    SPECIALIST,
    SPECIALIST_PHONE,
    SPECIALIST_POSITION,
    seed_cases,
)
from tests.plain_russian import latin_words, read_site
from tests.stack import RunningHub

PASSWORD = "пароль-для-проверки-2026"
ALL_FAMILIES = {FAMILY_1, FAMILY_2, FAMILY_3, FAMILY_4, FAMILY_5, FAMILY_KALUGA}
KAMCHATKA_FAMILIES = ALL_FAMILIES - {FAMILY_KALUGA}


@dataclass(frozen=True)
class Account:
    login: str
    name: str
    role: Role
    region: str | None
    agency: str | None
    staff_id: str | None = None


#: A second Kamchatka curator named like Семёнова, up to spaces, case and ё.
NAMESAKE_NAME = "СЕМЕНОВА   алёна  игоревна"

ACCOUNTS = {
    a.login: a
    for a in (
        Account(
            "semenova", CURATOR_ACCOUNT_NAME, Role.CURATOR, KAMCHATKA, "social", CURATOR_STAFF_ID
        ),
        Account(
            "kovalev", OTHER_CURATOR_NAME, Role.CURATOR, KAMCHATKA, "social", OTHER_CURATOR_STAFF_ID
        ),
        Account(
            "kaluga-curator", CURATOR_NAME, Role.CURATOR, KALUGA, "social", KALUGA_CURATOR_STAFF_ID
        ),
        Account("semenova-2", NAMESAKE_NAME, Role.CURATOR, KAMCHATKA, "social", "ТН-0099"),
        Account("supervisor", "Руководитель Камчатки", Role.SUPERVISOR, KAMCHATKA, None),
        Account("health-officer", "Врач Поликлиники", Role.OFFICER, KAMCHATKA, "health"),
        Account("kdn-officer", "Секретарь Комиссии", Role.OFFICER, KAMCHATKA, "kdn"),
        Account("admin", "Администратор Узла", Role.ADMINISTRATOR, None, None),
    )
}

PAGES = (
    "/cases",
    "/cases/KAM-1",
    "/cases/KAM-1/actions.csv",
    "/stats",
    "/api/v1/cases",
    "/api/v1/cases/KAM-1",
    "/api/v1/cases/KAM-1/actions.csv",
    "/api/v1/stats",
)


@dataclass(frozen=True)
class Expected:
    login: str
    #: Status of each of PAGES, in order.
    statuses: tuple[int, ...]
    #: The families this person may see named anywhere.
    families: frozenset[str]
    #: Cases in their list.
    cases: tuple[str, ...]


OK_ALL = (200,) * 8
KAM1_HIDDEN = (200, 404, 404, 200, 200, 404, 404, 200)
OFFICER_NO_STATS = (200, 200, 200, 403, 200, 200, 200, 403)

TABLE = (
    Expected("semenova", OK_ALL, frozenset({FAMILY_1, FAMILY_2}), ("KAM-1", "KAM-2")),
    Expected("kovalev", KAM1_HIDDEN, frozenset({FAMILY_3, FAMILY_5}), ("KAM-3", "KAM-5")),
    Expected("kaluga-curator", KAM1_HIDDEN, frozenset({FAMILY_KALUGA}), ("KLG-1",)),
    Expected(
        "supervisor",
        OK_ALL,
        frozenset(KAMCHATKA_FAMILIES),
        ("KAM-1", "KAM-2", "KAM-3", "KAM-4", "KAM-5"),
    ),
    Expected(
        "health-officer", OFFICER_NO_STATS, frozenset({FAMILY_1, FAMILY_4}), ("KAM-1", "KAM-4")
    ),
    Expected("kdn-officer", (200, 404, 404, 403, 200, 404, 404, 403), frozenset(), ()),
    Expected("admin", OK_ALL, frozenset(), ("KAM-1", "KLG-1", "KAM-2", "KAM-3", "KAM-4", "KAM-5")),
)


@pytest.fixture
def hub(hub_api: RunningHub) -> RunningHub:
    """The running hub with the seeded cases and one account per person above."""
    now = datetime.now(UTC)
    with hub_api.runtime.session_factory.begin() as session:
        seed_cases(session, now)
        for a in ACCOUNTS.values():
            add_person(
                session,
                login=a.login,
                display_name=a.name,
                role=a.role,
                region=a.region,
                agency=a.agency,
                password=PASSWORD,
                now=now,
                staff_id=a.staff_id,
            )
    return hub_api


def _token(hub: RunningHub, login: str) -> str:
    answer = httpx.post(
        f"{hub.url}/api/v1/session", json={"login": login, "password": PASSWORD}, timeout=10
    )
    assert answer.status_code == 201, answer.text
    token = answer.json()["token"]
    assert isinstance(token, str)
    return token


class Sessions:
    """Per login, a client carrying that person's session the way a browser does (cookie);
    each person logs in when first asked for."""

    def __init__(self, hub: RunningHub) -> None:
        self.hub = hub
        self.clients: dict[str, httpx.Client] = {}

    def __getitem__(self, login: str) -> httpx.Client:
        if login not in self.clients:
            cookies = {"hub_session": _token(self.hub, login)}
            self.clients[login] = httpx.Client(base_url=self.hub.url, cookies=cookies, timeout=10)
        return self.clients[login]

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


@pytest.fixture
def signed_in(hub: RunningHub) -> Iterator[Sessions]:
    sessions = Sessions(hub)
    yield sessions
    sessions.close()


def _audit(hub: RunningHub, login: str) -> list[tuple[str, str | None, str | None]]:
    """(action, case_ref, detail) of the person's audit rows after login, oldest first."""
    with hub.runtime.session_factory() as session:
        rows = reversed(list_audit(session))
        return [
            (r.action, r.case_ref, r.detail)
            for r in rows
            if r.login == login and r.action != "login"
        ]


@pytest.mark.parametrize("expected", TABLE, ids=lambda e: e.login)
def test_each_role_gets_its_scope_and_nothing_else_on_every_page(
    hub: RunningHub, signed_in: Sessions, expected: Expected
) -> None:
    client = signed_in[expected.login]
    answers = [client.get(page) for page in PAGES]
    assert tuple(a.status_code for a in answers) == expected.statuses
    for page, answer in zip(PAGES, answers, strict=True):
        shown = {name for name in ALL_FAMILIES if name in answer.text}
        assert shown <= expected.families, page
    listed = answers[4].json()["cases"]
    assert tuple(c["case_ref"] for c in listed) == expected.cases
    list_page = answers[0].text
    for ref in expected.cases:
        assert f'href="/cases/{ref}"' in list_page
    # Each look is audited: pages (web) and API alike, refusals to show a case too.
    actions = [(action, ref) for action, ref, _ in _audit(hub, expected.login)]
    case_seen = expected.statuses[1] == 200
    stats_seen = expected.statuses[3] == 200
    per_channel = [
        ("case.list", None),
        ("case.view", "KAM-1") if case_seen else ("case.not_visible", "KAM-1"),
        ("case.export", "KAM-1") if case_seen else ("case.not_visible", "KAM-1"),
        # A role refused the statistics leaves its refusal in the audit instead.
        ("stats.view", None) if stats_seen else ("access.refused", None),
    ]
    assert actions == per_channel * 2


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("login", ["semenova", "supervisor", "health-officer"])
def test_every_page_and_export_a_person_reaches_is_in_russian(
    signed_in: Sessions, login: str
) -> None:
    # Given a curator, a supervisor or an agency's officer, following the site's own
    # links from the start page (pages added later are covered once linked)
    read = read_site(signed_in[login])

    # Then their list, each case they may open and its export were read
    assert "/cases" in read
    assert any(path.endswith("/actions.csv") for path in read)
    # And nothing on them is a code, an id or English
    latin = {path: latin_words(text, allowed=CASE_REFS) for path, text in read.items()}
    assert {path: words for path, words in latin.items() if words} == {}


def test_an_administrator_sees_no_names_and_no_free_text(
    signed_in: Sessions,
) -> None:
    admin = signed_in["admin"]
    for page in ("/cases", "/cases/KAM-1", "/api/v1/cases/KAM-1", "/cases/KAM-1/actions.csv"):
        body = admin.get(page).text
        for private in (*ALL_FAMILIES, CURATOR_NAME, SPECIALIST, SOCIAL_NOTE, PLAN_GOALS):
            assert private not in body, (page, private)


def test_the_curator_s_case_page_shows_the_overdue_line_and_the_whole_case(
    signed_in: Sessions,
) -> None:
    page = signed_in["semenova"].get("/cases/KAM-1")
    assert page.status_code == 200
    body = page.text
    assert '<span class="overdue" data-action-id="A1">просрочено на 2 дн.</span>' in body
    assert 'data-action-id="A2">просрочено' not in body
    for words in (
        FAMILY_1,
        "Камчатский край",
        "Камчатский край (UTC+12)",
        "исполнение плана",
        "СОП",
        "КДН и ЗП",
        CURATOR_NAME,
        "Мероприятия",
        SOCIAL_NOTE,
        "Сроки",
        # The survey was met a day ago, 34 days after its due day: it stays marked.
        "исполнено с опозданием на 34 дн.",
        "периодический отчёт",
        "мероприятия нет в плане",
        "Хронология обмена",
        "не доставлено",
        "Скачать мероприятия таблицей",
    ):
        assert words in body, words
    assert " style=" not in body
    assert "<script>" not in body


def test_a_closed_case_names_its_reason_in_russian(signed_in: Sessions) -> None:
    body = signed_in["kovalev"].get("/cases/KAM-3").text
    assert "Снятие с учёта" in body
    assert "цели достигнуты" in body
    assert "Постсопровождение до" in body


def test_the_list_filters_and_the_reason_reach_the_audit_without_the_search_text(
    hub: RunningHub, signed_in: Sessions
) -> None:
    page = signed_in["supervisor"].get(
        "/cases", params={"state": "plan", "q": "смирнова", "why": "плановая проверка"}
    )
    assert page.status_code == 200
    assert "Все семьи региона" in page.text
    assert FAMILY_2 in page.text
    assert FAMILY_1 not in page.text
    with hub.runtime.session_factory() as session:
        (last, *_) = list_audit(session)
    assert (last.action, last.detail, last.reason) == (
        "case.list",
        "channel=web state=plan text=1",
        "плановая проверка",
    )


def test_the_overdue_only_filter_marks_the_count(signed_in: Sessions) -> None:
    page = signed_in["semenova"].get("/cases", params={"overdue_only": "1"})
    assert "Мои семьи" in page.text
    assert 'data-case-ref="KAM-1"' in page.text
    assert 'data-case-ref="KAM-2"' not in page.text
    assert '<span class="overdue">2</span>' in page.text


def test_the_csv_opens_in_russian_excel(signed_in: Sessions) -> None:
    answer = signed_in["semenova"].get("/cases/KAM-1/actions.csv")
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="KAM-1-actions.csv"'
    assert answer.content.startswith("\ufeff".encode())
    assert answer.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Мероприятие"
    assert [r[8] for r in rows[1:]] == ["да", "нет", "нет", "нет"]
    assert rows[1][3:6] == [SPECIALIST, SPECIALIST_POSITION, "'" + SPECIALIST_PHONE]


def test_the_statistics_page_draws_three_charts(signed_in: Sessions) -> None:
    page = signed_in["supervisor"].get("/stats")
    assert page.status_code == 200
    assert page.text.count('<svg class="chart"') == 3
    assert "цели достигнуты" in page.text
    assert "здравоохранение" in page.text
    assert "Сроки мероприятий по ведомствам" in page.text
    assert '<th scope="col">Исполнено с опозданием</th>' in page.text
    assert '<link rel="stylesheet" href="/static/charts.css">' in page.text
    assert " style=" not in page.text
    assert signed_in["supervisor"].get("/static/charts.css").status_code == 200


def test_an_administrator_picks_a_region_for_the_statistics(
    signed_in: Sessions,
) -> None:
    everything = signed_in["admin"].get("/api/v1/stats").json()
    kaluga = signed_in["admin"].get("/api/v1/stats", params={"region": KALUGA}).json()
    assert (everything["region"], everything["cases_total"]) == (None, 6)
    assert (kaluga["region"], kaluga["cases_total"]) == (KALUGA, 1)
    # Others always get their own region.
    own = signed_in["supervisor"].get("/api/v1/stats", params={"region": KALUGA}).json()
    assert (own["region"], own["cases_total"]) == (KAMCHATKA, 5)
    assert own["goals_achieved_share"] == 0.5
    # KAM-1's lines: health's A1 late now, education's A2 running, employment's A3 done in
    # time (A4 left the plan).
    assert own["lateness_by_agency"] == [
        {"agency": "health", "late_now": 1, "done_late": 0, "done_on_time": 0},
        {"agency": "education", "late_now": 0, "done_late": 0, "done_on_time": 0},
        {"agency": "employment", "late_now": 0, "done_late": 0, "done_on_time": 1},
    ]


def test_the_api_answers_with_bearer_tokens_and_problems(hub: RunningHub) -> None:
    token = _token(hub, "health-officer")
    with httpx.Client(base_url=hub.url, timeout=10) as api:
        detail = api.get("/api/v1/cases/KAM-1", headers={"Authorization": f"Bearer {token}"})
        hidden = api.get("/api/v1/cases/KAM-2", headers={"Authorization": f"Bearer {token}"})
        stats = api.get("/api/v1/stats", headers={"Authorization": f"Bearer {token}"})
        anonymous = api.get("/api/v1/cases")
    assert [a["action_id"] for a in detail.json()["actions"]] == ["A1", "A4"]
    assert detail.json()["actions"][0]["overdue"] is True
    assert {k: detail.json()["actions"][0][k] for k in ("state", "days_late", "mark")} == {
        "state": "late",
        "days_late": 2,
        "mark": "просрочено на 2 дн.",
    }
    assert detail.headers["cache-control"] == "no-store"
    assert hidden.status_code == 404
    assert hidden.headers["content-type"] == "application/problem+json"
    assert hidden.json()["code"] == "request.not_found"
    assert stats.json()["code"] == "auth.role_forbidden"
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "auth.session_required"


def test_pages_without_a_session_lead_to_the_login_form(hub: RunningHub) -> None:
    with httpx.Client(base_url=hub.url, follow_redirects=False, timeout=10) as browser:
        for page in ("/cases", "/cases/KAM-1", "/cases/KAM-1/actions.csv", "/stats"):
            answer = browser.get(page)
            assert answer.status_code == 303, page
            assert answer.headers["location"].startswith("/login?next=")


def test_the_api_is_described_in_openapi(hub: RunningHub) -> None:
    schema = httpx.get(f"{hub.url}/openapi.json", timeout=10).json()
    for path in (
        "/api/v1/cases",
        "/api/v1/cases/{case_ref}",
        "/api/v1/cases/{case_ref}/actions.csv",
        "/api/v1/stats",
    ):
        assert path in schema["paths"], path
    assert "CaseDetailOut" in schema["components"]["schemas"]
    assert "/cases" not in schema["paths"]


# --- Curators are their accounts, by staff id -----------------------------------------------


def _case_refs(client: httpx.Client) -> list[str]:
    return [c["case_ref"] for c in client.get("/api/v1/cases").json()["cases"]]


def _csrf_token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token in the page"
    return found.group(1)


def test_two_curators_named_alike_each_see_only_their_own_cases(
    hub: RunningHub, signed_in: Sessions
) -> None:
    # Given two Kamchatka curators whose names differ only in spaces, case and ё, and
    # KAM-4, which has no curator yet (the supervisor's alone).
    semenova, namesake = signed_in["semenova"], signed_in["semenova-2"]
    assert _case_refs(semenova) == ["KAM-1", "KAM-2"]
    assert _case_refs(namesake) == []
    for page in ("/cases/KAM-1", "/cases/KAM-1/actions.csv", "/api/v1/cases/KAM-1"):
        assert namesake.get(page).status_code == 404, page
    assert FAMILY_1 not in namesake.get("/cases").text
    # When the supervisor gives KAM-4 to the namesake,
    assigned = signed_in["supervisor"].post(
        "/api/v1/cases/KAM-4/curator",
        json={"curator": "semenova-2"},
        headers={"Authorization": f"Bearer {_token(hub, 'supervisor')}"},
    )
    assert assigned.status_code == 200, assigned.text
    # then each sees their own cases, and only those.
    assert _case_refs(namesake) == ["KAM-4"]
    assert _case_refs(semenova) == ["KAM-1", "KAM-2"]
    assert semenova.get("/cases/KAM-4").status_code == 404
    assert FAMILY_4 not in semenova.get("/cases").text
    assert namesake.get("/cases/KAM-1").status_code == 404


def test_a_supervisor_reassigns_a_case_on_its_page_and_the_audit_says_who_from_whom_to_whom(
    hub: RunningHub, signed_in: Sessions
) -> None:
    supervisor = signed_in["supervisor"]
    page = supervisor.get("/cases/KAM-2").text
    assert "Назначить куратора" in page
    assert f'<option value="kovalev">{OTHER_CURATOR_NAME}</option>' in page
    assert "kaluga-curator" not in page  # another region's curator is not offered
    # A curator's page has no such form.
    assert "Назначить куратора" not in signed_in["semenova"].get("/cases/KAM-2").text
    moved = supervisor.post(
        "/cases/KAM-2/curator", data={"csrf_token": _csrf_token(page), "curator": "kovalev"}
    )
    assert moved.status_code == 303
    assert moved.headers["location"] == "/cases/KAM-2"
    assert "KAM-2" in _case_refs(signed_in["kovalev"])
    assert "KAM-2" not in _case_refs(signed_in["semenova"])
    assert OTHER_CURATOR_NAME in supervisor.get("/cases/KAM-2").text
    assigned = [row for row in _audit(hub, "supervisor") if row[0] == "case.assign"]
    assert assigned == [
        ("case.assign", "KAM-2", f"channel=web from={CURATOR_STAFF_ID} to={OTHER_CURATOR_STAFF_ID}")
    ]
    with hub.runtime.session_factory() as session:
        (row,) = session.scalars(select(CaseCuratorAssignment)).all()
    assert (row.case_ref, row.assigned_by, row.from_name, row.to_name) == (
        "KAM-2",
        "supervisor",
        CURATOR_NAME,
        OTHER_CURATOR_NAME,
    )


def test_an_assignment_without_the_form_token_or_by_a_curator_is_refused(
    signed_in: Sessions,
) -> None:
    forged = signed_in["supervisor"].post("/cases/KAM-2/curator", data={"curator": "kovalev"})
    assert forged.status_code == 403
    assert "Форма устарела" in forged.text
    curator = signed_in["semenova"]
    token = _csrf_token(curator.get("/cases/KAM-2").text)
    by_curator = curator.post(
        "/cases/KAM-2/curator", data={"csrf_token": token, "curator": "semenova"}
    )
    assert by_curator.status_code == 403
    assert "KAM-2" not in _case_refs(signed_in["kovalev"])


def test_the_assignment_api_answers_refusals_with_their_code(
    hub: RunningHub, signed_in: Sessions
) -> None:
    def assign(login: str, case_ref: str, curator: str) -> httpx.Response:
        return httpx.post(
            f"{hub.url}/api/v1/cases/{case_ref}/curator",
            json={"curator": curator},
            headers={"Authorization": f"Bearer {_token(hub, login)}"},
            timeout=10,
        )

    for curator, reason in (
        ("kaluga-curator", "other_region"),
        ("health-officer", "not_a_curator"),
        ("semenova", "already_curator"),
    ):
        refused = assign("supervisor", "KAM-1", curator)
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert (refused.json()["code"], refused.json()["reason"]) == (
            "request.curator_not_assignable",
            reason,
        )
    assert assign("supervisor", "KLG-1", "kovalev").json()["code"] == "request.not_found"
    assert assign("semenova", "KAM-1", "kovalev").json()["code"] == "auth.role_forbidden"
    refusals = [(a, d) for a, _, d in _audit(hub, "supervisor") if a == "case.assign_refused"]
    assert refusals[0] == ("case.assign_refused", "channel=api reason=other_region")
    assert len(refusals) == 4
    assert "KAM-1" in _case_refs(signed_in["semenova"])
