"""The guards other pages build on: SignedInDep, CsrfCheckedDep and require_roles.

The hub's own app gains a few routes that only this test adds — a page, a form
and an API resource for supervisors — and runs under a real server, so each
guard is seen as a browser or API client would meet it.
"""

import functools
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

import httpx
import pytest
from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse

from adapters.simulation import SimulatorServer
from hub.access import SignedIn, SignedInDep, client_of, require_roles
from hub.app import create_app
from hub.cases.scope import Role
from hub.people import add_person
from hub.web.auth import CsrfCheckedDep
from tests.stack import RunningHub

PASSWORD = "верный-пароль-2026"
Supervisor = Annotated[SignedIn, require_roles(Role.SUPERVISOR, Role.ADMINISTRATOR)]

#: Logins hash with argon2: on a loaded machine an answer can take longer than httpx's 5 s.
_get = functools.partial(httpx.get, timeout=30.0)
_post = functools.partial(httpx.post, timeout=30.0)


@pytest.fixture
def guarded_url(hub_api: RunningHub) -> Iterator[str]:
    """The hub's app plus test-only guarded routes, served on its own port, with a curator
    and a supervisor who may log in."""
    with hub_api.runtime.session_factory.begin() as session:
        for login, role in (("ivanova", Role.CURATOR), ("sidorova", Role.SUPERVISOR)):
            add_person(
                session,
                login=login,
                display_name="Сотрудник",
                role=role,
                region="kamchatka",
                agency="social",
                password=PASSWORD,
                now=datetime.now(UTC),
            )
    app = create_app(hub_api.runtime)

    @app.get("/test-only/page")
    def page(signed_in: SignedInDep, request: Request) -> HTMLResponse:
        body = f"<p>{signed_in.viewer.login} from {client_of(request)}</p>"
        return HTMLResponse(body, headers={"X-Test-Csrf": signed_in.csrf_token})

    @app.post("/test-only/form")
    @app.post("/api/test-only/form")
    def form(signed_in: CsrfCheckedDep) -> HTMLResponse:
        return HTMLResponse(f"<p>posted by {signed_in.viewer.login}</p>")

    @app.get("/test-only/supervisors")
    def supervisors_page(signed_in: Supervisor) -> HTMLResponse:
        return HTMLResponse(f"<p>{signed_in.viewer.role}</p>")

    @app.get("/api/test-only/supervisors")
    def supervisors_api(signed_in: Supervisor) -> JSONResponse:
        return JSONResponse({"role": signed_in.viewer.role.value})

    with SimulatorServer(app) as server:
        yield server.url


def _bearer(url: str, login: str) -> dict[str, str]:
    opened = _post(f"{url}/api/v1/session", json={"login": login, "password": PASSWORD})
    assert opened.status_code == 201
    return {"Authorization": f"Bearer {opened.json()['token']}"}


def _cookie(url: str, login: str) -> dict[str, str]:
    """The session cookie a browser would hold after logging in as ``login``."""
    return {"hub_session": _bearer(url, login)["Authorization"].removeprefix("Bearer ")}


def test_a_page_without_a_session_sends_the_browser_to_login_and_back(guarded_url: str) -> None:
    response = _get(f"{guarded_url}/test-only/page?tab=plan&x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Ftest-only%2Fpage%3Ftab%3Dplan%26x%3D1"
    bad = _get(f"{guarded_url}/test-only/page", cookies={"hub_session": "made-up"})
    assert bad.status_code == 303


def test_a_page_with_a_session_cookie_or_bearer_knows_the_person(guarded_url: str) -> None:
    by_cookie = _get(f"{guarded_url}/test-only/page", cookies=_cookie(guarded_url, "ivanova"))
    assert by_cookie.status_code == 200
    assert by_cookie.text == "<p>ivanova from 127.0.0.1</p>"
    assert by_cookie.headers["cache-control"] == "no-store"
    by_bearer = _get(f"{guarded_url}/test-only/page", headers=_bearer(guarded_url, "sidorova"))
    assert by_bearer.text == "<p>sidorova from 127.0.0.1</p>"


def test_a_form_post_passes_only_with_the_session_csrf_token(guarded_url: str) -> None:
    cookies = _cookie(guarded_url, "ivanova")
    # The page that shows a form embeds the session's token in it.
    csrf = _get(f"{guarded_url}/test-only/page", cookies=cookies).headers["x-test-csrf"]
    posted = _post(f"{guarded_url}/test-only/form", cookies=cookies, data={"csrf_token": csrf})
    assert posted.text == "<p>posted by ivanova</p>"
    response = _post(f"{guarded_url}/test-only/form", cookies=cookies, data={})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "Доступ запрещён" in response.text
    assert "Форма устарела" in response.text


def test_a_form_post_without_a_session_goes_to_login_without_a_next_page(
    guarded_url: str,
) -> None:
    response = _post(f"{guarded_url}/test-only/form", data={"csrf_token": "x"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_a_bad_csrf_token_on_an_api_path_is_a_403_problem(guarded_url: str) -> None:
    response = _post(
        f"{guarded_url}/api/test-only/form",
        headers=_bearer(guarded_url, "ivanova"),
        data={"csrf_token": "forged"},
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "auth.csrf_invalid"


def test_a_role_outside_the_set_gets_a_403_page_or_problem(guarded_url: str) -> None:
    cookies = _cookie(guarded_url, "ivanova")
    page = _get(f"{guarded_url}/test-only/supervisors", cookies=cookies)
    assert page.status_code == 403
    assert "Для вашей роли эта страница недоступна" in page.text
    assert "<title>Доступ запрещён — Межведомственный узел</title>" in page.text

    api = _get(f"{guarded_url}/api/test-only/supervisors", headers=_bearer(guarded_url, "ivanova"))
    assert api.status_code == 403
    assert api.headers["content-type"] == "application/problem+json"
    assert api.json()["code"] == "auth.role_forbidden"


def test_a_role_in_the_set_passes_by_bearer_or_by_cookie_on_a_safe_api_method(
    guarded_url: str,
) -> None:
    by_bearer = _get(
        f"{guarded_url}/api/test-only/supervisors", headers=_bearer(guarded_url, "sidorova")
    )
    assert by_bearer.json() == {"role": "supervisor"}
    by_cookie = _get(
        f"{guarded_url}/api/test-only/supervisors", cookies=_cookie(guarded_url, "sidorova")
    )
    assert by_cookie.json() == {"role": "supervisor"}
    page = _get(f"{guarded_url}/test-only/supervisors", cookies=_cookie(guarded_url, "sidorova"))
    assert page.text == "<p>supervisor</p>"


def test_an_api_resource_without_a_session_is_a_401_problem(guarded_url: str) -> None:
    response = _get(f"{guarded_url}/api/test-only/supervisors")
    assert response.status_code == 401
    assert response.json()["code"] == "auth.session_required"
