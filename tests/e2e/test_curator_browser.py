"""A curator finds the late action of her family in a real browser; others cannot find the family;
every page of a curator, a supervisor and an officer is Russian and fits a phone; the case
page prints as the family's plan.

Headless Debian Chromium (tests/browser.py) against the hub's real server, with
the seeded cases (tests/case_data.py): health's action A1 on KAM-1 is overdue.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from hub.cases.scope import Role
from hub.people import add_person
from tests.browser import (
    DESKTOP_WIDTH,
    PHONE_WIDTH,
    headless_chromium,
    log_in,
    scrolls_sideways,
)
from tests.case_data import (
    CASE_REFS,
    CURATOR_ACCOUNT_NAME,
    CURATOR_NAME,
    CURATOR_STAFF_ID,
    FAMILY_1,
    KALUGA,
    KALUGA_CURATOR_STAFF_ID,
    MEASURES,
    ORGANISATIONS,
    SPECIALIST,
    seed_cases,
)
from tests.plain_russian import latin_words, site_path
from tests.stack import RunningHub

PASSWORD = "пароль-для-браузера-2026"
#: One backend is enough for the browser; both are covered by the page tests.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def hub(hub_api: RunningHub) -> RunningHub:
    now = datetime.now(UTC)
    with hub_api.runtime.session_factory.begin() as session:
        seed_cases(session, now)
        for login, name, role, region, agency, staff_id in (
            ("semenova", CURATOR_ACCOUNT_NAME, Role.CURATOR, "kamchatka", "social",
             CURATOR_STAFF_ID),
            # kdn has no action on KAM-1 and did not send its referral.
            ("kdn-officer", "Секретарь Комиссии", Role.OFFICER, "kamchatka", "kdn", None),
            # A namesake of the curator, in another region.
            ("kaluga-curator", CURATOR_NAME, Role.CURATOR, KALUGA, "social",
             KALUGA_CURATOR_STAFF_ID),
            ("supervisor", "Руководитель Камчатки", Role.SUPERVISOR, "kamchatka", None, None),
            # health has actions on KAM-1 and sent KAM-4's referral.
            ("health-officer", "Врач Поликлиники", Role.OFFICER, "kamchatka", "health", None),
        ):  # fmt: skip
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
    return hub_api


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with headless_chromium() as browser:
        yield browser


def _log_in(
    browser: Browser, hub: RunningHub, login: str, *, width: int = DESKTOP_WIDTH
) -> tuple[Page, list[str]]:
    return log_in(browser, hub.url, login, PASSWORD, width=width)


def test_the_curator_sees_the_overdue_action_and_others_cannot_find_the_case(
    hub: RunningHub, browser: Browser
) -> None:
    # Given the curator of KAM-1, logged in through the form
    page, problems = _log_in(browser, hub, "semenova")

    # When she opens «Мои семьи» and then the family's case
    expect(page.get_by_role("heading", name="Мои семьи")).to_be_visible()
    row = page.locator('tr[data-case-ref="KAM-1"]')
    expect(row).to_contain_text(FAMILY_1)
    expect(row.locator(".overdue")).to_have_text("2")
    row.get_by_role("link", name="KAM-1").click()
    page.wait_for_url(f"{hub.url}/cases/KAM-1")

    # Then action A1 carries the overdue mark, and A2 does not
    expect(page.get_by_role("heading", name=f"Дело KAM-1: {FAMILY_1}")).to_be_visible()
    marker = page.locator('.overdue[data-action-id="A1"]')
    expect(marker).to_be_visible()
    expect(marker).to_have_text("просрочено на 2 дн.")
    expect(page.locator('.overdue[data-action-id="A2"]')).to_have_count(0)
    # Every stylesheet loaded and nothing broke the CSP.
    assert problems == []
    page.context.close()

    # And neither an officer of an agency without an action on the case, nor the
    # curator's namesake in another region, finds it in their list or by its address
    for login in ("kdn-officer", "kaluga-curator"):
        other, _ = _log_in(browser, hub, login)
        expect(other.get_by_role("heading", name="Мои семьи")).to_be_visible()
        expect(other.locator('tr[data-case-ref="KAM-1"]')).to_have_count(0)
        expect(other.get_by_text(FAMILY_1)).to_have_count(0)
        answer = other.goto(f"{hub.url}/cases/KAM-1")
        assert answer is not None
        assert answer.status == 404
        expect(other.get_by_role("heading", name="Дело не найдено")).to_be_visible()
        expect(other.get_by_text(FAMILY_1)).to_have_count(0)
        other.context.close()


def _walk(page: Page, base_url: str) -> Iterator[str]:
    """Open every page reachable from «Мои семьи» by the site's own links (downloads aside),
    yielding each path once the page is loaded."""
    queue, seen = ["/cases"], set()
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        answer = page.goto(f"{base_url}{path}")
        assert answer is not None
        assert answer.status == 200, path
        yield path
        hrefs = page.eval_on_selector_all(
            "a[href]:not([download])", "links => links.map(link => link.href)"
        )
        for href in hrefs:
            found = site_path(httpx.URL(page.url), href)
            if found is not None and found not in seen:
                queue.append(found)


@pytest.mark.parametrize("width", [DESKTOP_WIDTH, PHONE_WIDTH])
def test_every_page_of_each_role_is_russian_and_fits_the_screen(
    hub: RunningHub, browser: Browser, width: int
) -> None:
    for login in ("semenova", "supervisor", "health-officer"):
        # Given a person of each role on a desktop or a phone
        page, problems = _log_in(browser, hub, login, width=width)

        # When they open every page their links lead to
        walked = list(_check_each_page(page, hub.url))

        # Then they saw their cases and the statistics where their role has them
        assert "/cases/KAM-1" in walked, login
        assert ("/stats" in walked) is (login != "health-officer")
        assert problems == [], login
        page.context.close()


def _check_each_page(page: Page, base_url: str) -> Iterator[str]:
    """Walk the pages, asserting on each: no Latin-only word is shown, no sideways scroll."""
    for path in _walk(page, base_url):
        shown = page.title() + "\n" + page.locator("body").inner_text()
        assert latin_words(shown, allowed=CASE_REFS) == [], path
        assert not scrolls_sideways(page), path
        yield path


def test_the_case_page_prints_as_the_family_s_plan(hub: RunningHub, browser: Browser) -> None:
    # Given the curator on her family's case page
    page, problems = _log_in(browser, hub, "semenova")
    page.goto(f"{hub.url}/cases/KAM-1")
    expect(page.get_by_role("button", name="Распечатать план")).to_be_visible()

    # When it is printed
    page.emulate_media(media="print")

    # Then the plan's actions, executors, specialists and deadlines are on paper
    actions = page.locator("table.actions")
    expect(actions).to_be_visible()
    for shown in (MEASURES["A1"], ORGANISATIONS["health"], SPECIALIST):
        expect(actions).to_contain_text(shown)
    expect(page.locator("table.deadlines")).to_be_visible()
    # And navigation, forms, buttons and the exchange log are not
    for hidden in (".site-nav", "form", ".print-plan", "table.timeline", "a[download]"):
        expect(page.locator(hidden).first).to_be_hidden()
    assert problems == []
    page.context.close()
