"""A curator finds the late action of her family in a real browser; others cannot find the family.

Headless Debian Chromium (tests/browser.py) against the hub's real server, with
the seeded cases (tests/case_data.py): health's action A1 on KAM-1 is overdue.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, expect

from hub.cases.scope import Role
from hub.people import add_person
from tests.browser import EXPECT_TIMEOUT_MS, headless_chromium
from tests.case_data import (
    CURATOR_ACCOUNT_NAME,
    CURATOR_NAME,
    CURATOR_STAFF_ID,
    FAMILY_1,
    KALUGA,
    KALUGA_CURATOR_STAFF_ID,
    seed_cases,
)
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


def _log_in(browser: Browser, hub: RunningHub, login: str) -> tuple[Page, list[str]]:
    """A fresh browser context (no cookies) logged in through the form, and a list that
    collects the page's problems: console errors and failed loads of the hub's files."""
    page = browser.new_context(locale="ru-RU").new_page()
    page.set_default_timeout(EXPECT_TIMEOUT_MS)
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # A failed load is reported below with its address; the console omits it.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    def on_response(response: Response) -> None:
        # Chromium asks for /favicon.ico on its own; the hub has none.
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            problems.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.goto(f"{hub.url}/cases")
    expect(page.get_by_role("heading", name="Вход в систему")).to_be_visible()
    page.get_by_label("Имя пользователя").fill(login)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(f"{hub.url}/cases")
    return page, problems


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
