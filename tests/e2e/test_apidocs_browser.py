"""Swagger UI at /docs and ReDoc at /redoc render the hub's operations in a real browser,
from the hub's own files, under the strict CSP: no violation, no failed load, no script
error, no request leaving the hub.

Headless Debian Chromium (tests/browser.py) against the hub's real server.
"""

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, expect

from tests.browser import EXPECT_TIMEOUT_MS, headless_chromium
from tests.stack import RunningHub

#: ReDoc's footer credits its maker with this image, hard-coded in its bundle: the CSP
#: refuses it and ReDoc hides it on the error, so it is the one refusal expected.
REDOC_CREDIT_IMAGE = "https://cdn.redoc.ly/redoc/logo-mini.svg"

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with headless_chromium() as browser:
        yield browser


def _watched_page(browser: Browser, hub: RunningHub, problems: list[str]) -> Page:
    """A fresh page that collects console errors and warnings (a CSP violation is one),
    script errors, failed loads and any request to anywhere but the hub."""
    page = browser.new_context().new_page()
    page.set_default_timeout(EXPECT_TIMEOUT_MS)

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(message.text)

    def on_response(response: Response) -> None:
        if response.status >= 400:
            problems.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))

    def on_request(request: Request) -> None:
        if not request.url.startswith(hub.url):
            problems.append(f"outside the hub: {request.url}")

    page.on("response", on_response)
    page.on("request", on_request)
    return page


def _operation_count(hub: RunningHub) -> int:
    spec = httpx.get(f"{hub.url}/openapi.json", timeout=10).json()
    return sum(len(methods) for methods in spec["paths"].values())


def test_swagger_ui_renders_every_operation_under_the_strict_csp(
    hub_api: RunningHub, browser: Browser
) -> None:
    problems: list[str] = []
    page = _watched_page(browser, hub_api, problems)

    page.goto(f"{hub_api.url}/docs")

    expect(page.locator(".opblock")).to_have_count(
        _operation_count(hub_api), timeout=EXPECT_TIMEOUT_MS
    )
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/inbox").first).to_be_visible(
        timeout=EXPECT_TIMEOUT_MS
    )
    expect(page.get_by_role("button", name="Authorize")).to_be_visible(timeout=EXPECT_TIMEOUT_MS)
    assert problems == []


def test_redoc_renders_every_operation_under_the_strict_csp(
    hub_api: RunningHub, browser: Browser
) -> None:
    problems: list[str] = []
    page = _watched_page(browser, hub_api, problems)

    page.goto(f"{hub_api.url}/redoc")

    # ReDoc gives each operation a heading of its summary, under the API's title
    expect(page.get_by_role("heading", name="Poll Inbox")).to_be_visible(timeout=EXPECT_TIMEOUT_MS)
    expect(page.locator("[data-section-id^='operation/']")).to_have_count(
        _operation_count(hub_api), timeout=EXPECT_TIMEOUT_MS
    )
    credit = [problem for problem in problems if REDOC_CREDIT_IMAGE in problem]
    assert [problem for problem in problems if problem not in credit] == []
    # The browser refused the credit image itself: it never left the hub's page.
    assert any("violates the following Content Security Policy" in text for text in credit)
