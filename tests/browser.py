"""A headless Chromium for UI tests: Debian's own, never a browser Playwright downloads.

``headless_chromium()`` finds ``/usr/bin/chromium`` and, where it is missing,
installs the Debian package during test set-up. A Chromium that cannot be had
skips the test locally and fails it in CI, like any other missing service.
"""

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Error, sync_playwright

from tests.conftest import require_service

CHROMIUM = Path("/usr/bin/chromium")
#: apt-get may need to fetch the package lists and ~100 MB of packages.
INSTALL_TIMEOUT_S = 900


def chromium_executable() -> str:
    """The path of Debian's chromium, installed with ``apt-get`` if it is not there yet."""
    found = _find_chromium()
    if found is not None:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
            subprocess.run(
                command, check=True, capture_output=True, timeout=INSTALL_TIMEOUT_S, env=env
            )
    except (OSError, subprocess.SubprocessError) as exc:
        require_service("Chromium (apt-get install chromium)", exc)
    found = _find_chromium()
    if found is None:
        require_service("Chromium", FileNotFoundError(str(CHROMIUM)))
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
