"""A headless Chromium for UI tests: Debian's own, never a browser Playwright downloads.

``headless_chromium()`` finds ``/usr/bin/chromium`` (``make test`` installs Debian's
package where it can; a test never installs anything). A missing Chromium skips the
test locally and fails it in CI, like any other missing service.
"""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Error,
    Locator,
    Page,
    Response,
    expect,
    sync_playwright,
)

from tests.conftest import require_service

CHROMIUM = Path("/usr/bin/chromium")
#: Playwright's wait for any one action or expectation, in milliseconds (``expect`` does not
#: follow the page's default, so each is given it where it needs more than Playwright's 5 s).
#: Only how long a failure takes to show: on a loaded machine a page load took over 5 s.
EXPECT_TIMEOUT_MS = 20_000


def chromium_executable() -> str:
    """The path of Debian's chromium."""
    found = _find_chromium()
    if found is None:
        require_service(
            "Chromium (make test installs it as root)", FileNotFoundError(str(CHROMIUM))
        )
    assert found is not None
    return found


def _find_chromium() -> str | None:
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return str(CHROMIUM)
    return shutil.which("chromium")


@contextmanager
def headless_chromium() -> Iterator[Browser]:
    """Chromium launched headless through Playwright; closed on exit."""
    executable = chromium_executable()
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=executable, headless=True)
        except Error as exc:
            require_service("Chromium (launch)", exc)
        try:
            yield browser
        finally:
            browser.close()


#: The widths the pages are walked at: a desktop's, and a phone's (CSS pixels).
DESKTOP_WIDTH = 1280
PHONE_WIDTH = 390
_VIEWPORT_HEIGHT = 800


def watch(page: Page, problems: list[str]) -> Page:
    """Collect the page's console errors and failed loads of the hub's files in ``problems``."""
    page.set_default_timeout(EXPECT_TIMEOUT_MS)

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
    return page


def log_in(
    browser: Browser,
    base_url: str,
    login: str,
    password: str,
    *,
    path: str = "/cases",
    width: int = DESKTOP_WIDTH,
) -> tuple[Page, list[str]]:
    """A fresh browser context (no cookies), ``width`` pixels wide, logged in through the
    form on the way to ``path``, and the list ``watch`` fills with the page's problems."""
    context = browser.new_context(
        locale="ru-RU", viewport={"width": width, "height": _VIEWPORT_HEIGHT}
    )
    problems: list[str] = []
    page = watch(context.new_page(), problems)
    page.goto(f"{base_url}{path}")
    expect(page.get_by_role("heading", name="Вход в систему")).to_be_visible()
    page.get_by_label("Имя пользователя").fill(login)
    page.get_by_label("Пароль").fill(password)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(f"{base_url}{path}")
    return page, problems


def scrolls_sideways(page: Page) -> bool:
    """Whether the page is wider than the window (the whole page scrolls horizontally)."""
    wider = page.evaluate("document.scrollingElement.scrollWidth > window.innerWidth")
    assert isinstance(wider, bool)
    return wider


def overlapping_boxes(locator: Locator) -> list[tuple[str, str]]:
    """Pairs of the located elements (by text content) whose boxes on the page overlap."""
    boxes = []
    for index in range(locator.count()):
        element = locator.nth(index)
        name = (element.text_content() or "").strip()
        box = element.bounding_box()
        assert box is not None, f"not rendered: {name}"
        boxes.append((name, box))
    return [
        (first, second)
        for i, (first, a) in enumerate(boxes)
        for second, b in boxes[i + 1 :]
        if a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    ]
