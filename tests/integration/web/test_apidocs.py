"""/docs and /redoc work on a closed network: every file they load is the hub's own, and
they stand under the same strict CSP as every other page."""

from collections.abc import Iterator
from html.parser import HTMLParser

import httpx
import pytest

from hub.web.security import CONTENT_SECURITY_POLICY
from tests.stack import RunningHub


class _References(HTMLParser):
    """What a page loads (scripts, styles, icons), and any inline script or style."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "style" in found:
            self.inline.append(f"style= on <{tag}>")
        if tag == "style":
            self.inline.append("<style>")
        if tag == "script":
            self._in_script = True
            if found.get("src"):
                self.loaded.append(str(found["src"]))
        if tag == "link" and found.get("href"):
            self.loaded.append(str(found["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("<script> with a body")


@pytest.fixture
def http(hub_api: RunningHub) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hub_api.url, timeout=10) as client:
        yield client


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_docs_load_only_the_hubs_own_files_under_the_strict_csp(
    http: httpx.Client, path: str
) -> None:
    page = http.get(path)
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    references = _References()
    references.feed(page.text)

    assert references.inline == []
    assert any(src.endswith(".js") for src in references.loaded)
    for reference in references.loaded:
        assert reference.startswith("/"), reference  # the hub's own, no CDN
        asset = http.get(reference)
        assert asset.status_code == 200, reference
        assert asset.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "/openapi.json" in page.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_openapi_document_carries_the_strict_csp_and_names_no_other_origin(
    http: httpx.Client,
) -> None:
    answer = http.get("/openapi.json")
    assert answer.status_code == 200
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    # No "servers" entry sends Swagger UI's "try it out" to another host.
    assert "servers" not in answer.json()
