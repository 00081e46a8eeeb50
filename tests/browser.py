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

from playwright.sync_api import Browser, Error, sync_playwright

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
