"""«Требует внимания», visits and the case owner's feed over a real hub server, role by role.

Given the seeded cases (tests/case_data.py) plus an urgent signal nobody acknowledged,
each person's list holds what their scope holds, most urgent first, and every read is
audited; curators record visits on the case page (with the form's CSRF token) and over
the API; the social centre's system pulls the same items with its partner API key.
"""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from hub.cases.scope import Role
from hub.people import add_person, list_audit
from tests.case_data import (
    CURATOR_ACCOUNT_NAME,
    CURATOR_STAFF_ID,
    FAMILY_1,
    FAMILY_KALUGA,
    FAMILY_SIGNAL,
    KAMCHATKA,
    seed_cases,
    seed_unacknowledged_signal,
)
from tests.stack import RunningHub

PASSWORD = "пароль-для-проверки-2026"
ACCOUNTS = (
    ("semenova", CURATOR_ACCOUNT_NAME, Role.CURATOR, KAMCHATKA, "social", CURATOR_STAFF_ID),
    ("supervisor", "Руководитель Камчатки", Role.SUPERVISOR, KAMCHATKA, None, None),
    ("health-officer", "Врач Поликлиники", Role.OFFICER, KAMCHATKA, "health", None),
    ("admin", "Администратор Узла", Role.ADMINISTRATOR, None, None, None),
)


@pytest.fixture
def seeded(hub_api: RunningHub) -> RunningHub:
    """The running hub with the seeded cases and the unacknowledged urgent signal."""
    now = datetime.now(UTC)
    with hub_api.runtime.session_factory.begin() as session:
        seed_cases(session, now)
        seed_unacknowledged_signal(session, now)
    return hub_api


@pytest.fixture
def hub(seeded: RunningHub) -> RunningHub:
    """…and one account per person above."""
    now = datetime.now(UTC)
    with seeded.runtime.session_factory.begin() as session:
        for login, name, role, region, agency, staff_id in ACCOUNTS:
            add_person(
                session,
                login=login,
                display_name=name,
                role=role,
                region=region,
                agency=agency,
                password=PASSWORD,
                now=now,
                staff_id=staff_id,
            )
    return seeded


class People:
    """Per login, a client with that person's session as a cookie (pages) and a bearer
    token (API); each person logs in when first asked for (a login costs a password hash)."""

    def __init__(self, hub: RunningHub) -> None:
        self.hub = hub
        self.clients: dict[str, httpx.Client] = {}

    def __getitem__(self, login: str) -> httpx.Client:
        if login not in self.clients:
            answer = httpx.post(
                f"{self.hub.url}/api/v1/session",
                json={"login": login, "password": PASSWORD},
                timeout=10,
            )
            token = answer.json()["token"]
            self.clients[login] = httpx.Client(
                base_url=self.hub.url,
                cookies={"hub_session": token},
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
        return self.clients[login]


@pytest.fixture
def people(hub: RunningHub) -> Iterator[People]:
    signed_in = People(hub)
    yield signed_in
    for client in signed_in.clients.values():
        client.close()


def _kinds(client: httpx.Client) -> list[tuple[str, str | None, str | None]]:
    answer = client.get("/api/v1/attention")
    assert answer.status_code == 200, answer.text
    return [(i["kind"], i["case_ref"], i["topic"]) for i in answer.json()["items"]]


def test_each_person_gets_the_items_of_their_scope_most_urgent_first(
    hub: RunningHub, people: People
) -> None:
    supervisor = _kinds(people["supervisor"])
    # The urgent signal past its receipt deadline leads; then what is late; due soon last.
    assert supervisor[0] == ("escalated_signal", None, "receipt")
    assert [k for k in supervisor if k[0] != "visits_behind"] == [
        ("escalated_signal", None, "receipt"),
        ("overdue", "KAM-1", "action"),
        ("missing_report", "KAM-1", "report"),
        ("conflict", "KAM-1", "case.action_unknown"),
        ("due_soon", "KAM-2", "plan"),
    ]
    # The curator: her cases, no region's signals.
    curator = _kinds(people["semenova"])
    assert [k for k in curator if k[0] != "visits_behind"] == supervisor[1:]
    # The health officer: only health's rows (its late action, its conflicting message).
    assert _kinds(people["health-officer"]) == [
        ("overdue", "KAM-1", "action"),
        ("conflict", "KAM-1", "case.action_unknown"),
    ]
    # The administrator: every region (Kaluga's late line too), no names anywhere.
    admin = people["admin"].get("/api/v1/attention").json()["items"]
    assert ("overdue", "KLG-1") in {(i["kind"], i["case_ref"]) for i in admin}
    assert {i["family_name"] for i in admin} == {None}
    # Every item speaks Russian, and every read left an audit row.
    assert all(re.search("[а-яё]", i["text"]) for i in admin)
    with hub.runtime.session_factory() as session:
        audited = {(r.login, r.action) for r in list_audit(session)}
    assert {login for login, action in audited if action == "attention.view"} == set(people.clients)


def test_the_page_and_the_supervisor_s_list_show_the_unacknowledged_signal(
    people: People,
) -> None:
    page = people["supervisor"].get("/attention")
    assert page.status_code == 200
    assert 'href="/attention"' in page.text
    assert "срочный сигнал без подтверждения" in page.text
    assert FAMILY_SIGNAL in page.text
    assert page.text.index(FAMILY_SIGNAL) < page.text.index(FAMILY_1)
    cases = people["supervisor"].get("/cases").text
    assert "Сигналы без подтверждения" in cases
    assert FAMILY_SIGNAL in cases
    # A curator's list has no such section: no signal is hers before a case is opened.
    assert "Сигналы без подтверждения" not in people["semenova"].get("/cases").text


def test_visits_are_recorded_on_the_page_and_over_the_api_and_counted(
    hub: RunningHub, people: People
) -> None:
    curator = people["semenova"]
    today = datetime.now(UTC).astimezone(hub.runtime.regions.get(KAMCHATKA).calendar.timezone)
    case_page = curator.get("/cases/KAM-1").text
    assert "посещения: 0 из 2 за месяц" in case_page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', case_page)
    assert csrf is not None

    posted = curator.post(
        "/cases/KAM-1/visits",
        data={"csrf_token": csrf.group(1), "visited_on": today.date().isoformat(), "note": "Дома"},
    )
    forged = curator.post(
        "/cases/KAM-1/visits", data={"csrf_token": "x", "visited_on": today.date().isoformat()}
    )
    over_api = curator.post(
        "/api/v1/cases/KAM-1/visits",
        json={"visited_on": today.date().isoformat(), "note": "Беседа с матерью"},
    )
    future = curator.post(
        "/api/v1/cases/KAM-1/visits",
        json={"visited_on": (today.date() + timedelta(days=1)).isoformat()},
    )
    officer = people["health-officer"].post(
        "/api/v1/cases/KAM-1/visits", json={"visited_on": today.date().isoformat()}
    )
    hidden = curator.post(
        "/api/v1/cases/KLG-1/visits", json={"visited_on": today.date().isoformat()}
    )

    assert (posted.status_code, posted.headers["location"]) == (303, "/cases/KAM-1#visits")
    assert forged.status_code == 403
    assert over_api.status_code == 201, over_api.text
    assert over_api.json()["schedule"] == {"done": 2, "required": 2, "behind": False}
    assert [v["note"] for v in over_api.json()["visits"]] == ["Беседа с матерью", "Дома"]
    assert (future.status_code, future.json()["code"]) == (422, "request.invalid")
    assert (officer.status_code, officer.json()["code"]) == (403, "auth.role_forbidden")
    assert (hidden.status_code, hidden.json()["code"]) == (404, "request.not_found")
    assert "посещения: 2 из 2 за месяц" in curator.get("/cases/KAM-1").text
    with hub.runtime.session_factory() as session:
        visits = [r for r in list_audit(session) if r.action == "case.visit"]
    assert [(r.login, r.case_ref) for r in visits] == [("semenova", "KAM-1")] * 2


def test_the_case_owner_pulls_the_feed_with_its_api_key_and_others_are_refused(
    seeded: RunningHub,
) -> None:
    def feed(code: str) -> httpx.Response:
        return httpx.get(
            f"{seeded.url}/api/v1/feed/attention",
            headers={"Authorization": f"Bearer {seeded.api_keys[code]}"},
            timeout=10,
        )

    owner, police = feed("social"), feed("police")

    assert owner.status_code == 200, owner.text
    items = owner.json()["items"]
    assert items[0]["kind"] == "escalated_signal"
    assert {"KAM-1", "KLG-1"} <= {i["case_ref"] for i in items}
    for name in (FAMILY_1, FAMILY_KALUGA, FAMILY_SIGNAL):
        assert name not in owner.text
    assert (police.status_code, police.json()["code"]) == (403, "auth.not_case_owner")
