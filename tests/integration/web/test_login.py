"""Logging in and out through a real hub server: the page, the JSON session, headers, audit.

Given a curator's account in the hub's database, each test drives the running
server with httpx as a browser (cookies, form posts) or as an API client (Bearer).
"""

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from hub.cases.scope import Role
from hub.people import add_person, list_audit
from hub.runtime import HubRuntime
from hub.store import AuditEntry, WebSession
from hub.web.security import CONTENT_SECURITY_POLICY
from tests.stack import RunningHub

LOGIN = "ivanova"
PASSWORD = "верный-пароль-2026"
WRONG = "неверный-пароль"


@pytest.fixture
def hub(hub_api: RunningHub) -> RunningHub:
    """The running hub with the curator's account."""
    with hub_api.runtime.session_factory.begin() as session:
        add_person(
            session,
            login=LOGIN,
            display_name="Иванова Анна Петровна",
            role=Role.CURATOR,
            region="kamchatka",
            agency="social",
            password=PASSWORD,
            now=datetime.now(UTC),
        )
    return hub_api


@pytest.fixture
def browser(hub: RunningHub) -> Iterator[httpx.Client]:
    """A cookie-keeping client that does not follow redirects, so each one can be checked."""
    with httpx.Client(base_url=hub.url, follow_redirects=False) as client:
        yield client


def _login_form_token(browser: httpx.Client, query: str = "") -> str:
    page = browser.get("/login" + query)
    assert page.status_code == 200
    match = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
    assert match is not None
    assert browser.cookies.get("hub_login_csrf", path="/login") == match.group(1)
    return match.group(1)


def _post_login(
    browser: httpx.Client,
    password: str = PASSWORD,
    *,
    next_page: str = "",
    token: str | None = None,
) -> httpx.Response:
    form = {
        "login": LOGIN,
        "password": password,
        "login_csrf": _login_form_token(browser) if token is None else token,
        "next": next_page,
    }
    return browser.post("/login", data=form)


def _csrf_of_last_session(runtime: HubRuntime) -> str:
    with runtime.session_factory() as session:
        token = session.scalar(select(WebSession.csrf_token).order_by(WebSession.id.desc()))
    assert token is not None
    return token


def _actions(runtime: HubRuntime) -> list[tuple[str, str, str | None]]:
    """(action, login, detail) of every audit row, oldest first."""
    with runtime.session_factory() as session:
        return [(row.action, row.login, row.detail) for row in reversed(list_audit(session))]


# --- The login page ------------------------------------------------------------------


def test_the_login_page_is_russian_sets_a_form_token_and_carries_the_security_headers(
    browser: httpx.Client,
) -> None:
    page = browser.get("/login")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="ru">' in page.text
    assert "Вход — Межведомственный узел</title>" in page.text
    assert "Сопровождение семей: межведомственный узел" in page.text
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    cookie = page.headers["set-cookie"].lower()
    assert cookie.startswith("hub_login_csrf=")
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/login" in cookie
    assert " style=" not in page.text
    assert "<script" not in page.text


def test_the_stylesheet_is_served_with_the_same_headers(browser: httpx.Client) -> None:
    css = browser.get("/static/hub.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert css.headers["x-content-type-options"] == "nosniff"


def test_the_start_page_leads_to_the_families(browser: httpx.Client) -> None:
    response = browser.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/cases"


def test_logging_in_sets_a_strict_http_only_session_cookie_and_goes_to_the_families(
    hub: RunningHub, browser: httpx.Client
) -> None:
    response = _post_login(browser)
    assert response.status_code == 303
    assert response.headers["location"] == "/cases"
    session_cookie = next(
        value
        for value in response.headers.get_list("set-cookie")
        if value.startswith("hub_session=")
    )
    flags = [flag.strip().lower() for flag in session_cookie.split(";")]
    assert "httponly" in flags
    assert "samesite=strict" in flags
    assert "path=/" in flags
    assert "secure" not in flags  # plain HTTP on loopback; HTTPS or HUB_COOKIE_SECURE add it
    assert not any(flag.startswith(("max-age", "expires")) for flag in flags)
    assert _actions(hub.runtime) == [("login", LOGIN, "web")]


@pytest.mark.parametrize(
    ("next_page", "landing"),
    [
        ("/cases/KAM-2026-0001?tab=plan", "/cases/KAM-2026-0001?tab=plan"),
        ("/stats", "/stats"),
        ("//evil.example", "/cases"),
        ("//evil.example/cases", "/cases"),
        ("https://evil.example/", "/cases"),
        ("/\\evil.example", "/cases"),
        ("cases", "/cases"),
        ("", "/cases"),
    ],
)
def test_after_login_only_a_path_on_this_site_is_followed(
    browser: httpx.Client, next_page: str, landing: str
) -> None:
    response = _post_login(browser, next_page=next_page)
    assert response.status_code == 303
    assert response.headers["location"] == landing


def test_the_login_form_keeps_a_safe_next_page_from_the_address(browser: httpx.Client) -> None:
    page = browser.get("/login", params={"next": "/cases/KAM-1"})
    assert 'name="next" value="/cases/KAM-1"' in page.text
    page = browser.get("/login", params={"next": "//evil.example"})
    assert "evil.example" not in page.text


@pytest.mark.parametrize("token", ["", "forged-token"], ids=["missing", "forged"])
def test_a_login_post_without_the_form_token_is_refused(
    hub: RunningHub, browser: httpx.Client, token: str
) -> None:
    _login_form_token(browser)
    response = _post_login(browser, token=token)
    assert response.status_code == 403
    assert "Форма входа устарела" in response.text
    assert "hub_session" not in response.headers.get("set-cookie", "")
    assert _actions(hub.runtime) == []  # the password was never checked


def test_a_login_post_from_another_site_has_no_form_cookie_and_is_refused(hub: RunningHub) -> None:
    with httpx.Client(base_url=hub.url) as stranger:
        form = {"login": LOGIN, "password": PASSWORD, "login_csrf": "guessed", "next": ""}
        response = stranger.post("/login", data=form)
    assert response.status_code == 403


def test_a_wrong_password_shows_the_form_again_with_one_message_for_any_mistake(
    hub: RunningHub, browser: httpx.Client
) -> None:
    response = _post_login(browser, WRONG)
    assert response.status_code == 401
    assert "Неверное имя пользователя или пароль" in response.text
    assert f'value="{LOGIN}"' in response.text  # the login stays typed in
    assert WRONG not in response.text
    unknown = browser.post(
        "/login",
        data={"login": "nobody", "password": PASSWORD, "login_csrf": _login_form_token(browser)},
    )
    assert unknown.status_code == 401
    assert "Неверное имя пользователя или пароль" in unknown.text
    assert _actions(hub.runtime) == [
        ("login.refused", LOGIN, "web"),
        ("login.refused", "nobody", "web"),
    ]


def test_the_sixth_failure_is_throttled_with_retry_after(
    hub: RunningHub, browser: httpx.Client
) -> None:
    failures = hub.settings.login_max_failures
    for _ in range(failures):
        assert _post_login(browser, WRONG).status_code == 401
    response = _post_login(browser, PASSWORD)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    minutes = -(-int(response.headers["retry-after"]) // 60)
    assert f"Слишком много попыток входа. Повторите через {minutes} мин." in response.text
    actions = [action for action, _login, _detail in _actions(hub.runtime)]
    assert actions == ["login.refused"] * failures + ["login.throttled"]


def test_no_password_reaches_the_audit_log(hub: RunningHub, browser: httpx.Client) -> None:
    _post_login(browser, WRONG)
    _post_login(browser)
    # A password typed into the login field is not kept either.
    browser.post(
        "/login",
        data={
            "login": "Пароль По Ошибке",
            "password": "",
            "login_csrf": _login_form_token(browser),
        },
    )
    with hub.runtime.session_factory() as session:
        rows = session.scalars(select(AuditEntry)).all()
        cells = [
            str(value)
            for row in rows
            for value in (row.login, row.action, row.detail, row.reason, row.case_ref)
        ]
    assert len(rows) == 3
    assert not [cell for cell in cells if PASSWORD in cell or WRONG in cell or "Пароль" in cell]
    assert "(invalid)" in cells


# --- Logging out ---------------------------------------------------------------------


def test_logout_needs_the_session_csrf_token_then_ends_the_session(
    hub: RunningHub, browser: httpx.Client
) -> None:
    _post_login(browser)
    csrf = _csrf_of_last_session(hub.runtime)

    refused = browser.post("/logout", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    assert "Форма устарела" in refused.text
    assert refused.headers["cache-control"] == "no-store"

    response = browser.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert response.headers["set-cookie"].startswith('hub_session=""')
    assert "hub_session" not in browser.cookies

    # The old session is gone: posting again leads to the login form.
    again = browser.post("/logout", data={"csrf_token": csrf})
    assert again.status_code == 303
    assert again.headers["location"] == "/login"
    assert _actions(hub.runtime) == [("login", LOGIN, "web"), ("logout", LOGIN, "web")]


def test_a_stolen_cookie_is_useless_after_logout(hub: RunningHub, browser: httpx.Client) -> None:
    _post_login(browser)
    stolen = browser.cookies["hub_session"]
    browser.post("/logout", data={"csrf_token": _csrf_of_last_session(hub.runtime)})
    with httpx.Client(base_url=hub.url, cookies={"hub_session": stolen}) as thief:
        response = thief.post(
            "/logout",
            data={"csrf_token": _csrf_of_last_session(hub.runtime)},
            follow_redirects=False,
        )
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert [action for action, *_ in _actions(hub.runtime)] == ["login", "logout"]


# --- The JSON session for API clients ------------------------------------------------


def test_an_api_client_opens_a_session_uses_it_as_bearer_and_closes_it(hub: RunningHub) -> None:
    with httpx.Client(base_url=hub.url) as api:
        opened = api.post("/api/v1/session", json={"login": LOGIN, "password": PASSWORD})
        assert opened.status_code == 201
        body = opened.json()
        assert set(body) == {"token", "expires_at", "role", "region"}
        assert (body["role"], body["region"]) == ("curator", "kamchatka")
        expires_at = datetime.fromisoformat(body["expires_at"])
        lifetime = expires_at - datetime.now(UTC)
        assert 0 < lifetime.total_seconds() <= hub.settings.session_ttl_s
        assert opened.headers["cache-control"] == "no-store"
        assert opened.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "set-cookie" not in opened.headers

        bearer = {"Authorization": f"Bearer {body['token']}"}
        assert api.delete("/api/v1/session", headers=bearer).status_code == 204
        again = api.delete("/api/v1/session", headers=bearer)
    assert again.status_code == 401
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["code"] == "auth.session_required"
    assert again.headers["www-authenticate"] == "Bearer"
    assert _actions(hub.runtime) == [("login", LOGIN, "api"), ("logout", LOGIN, "api")]


def test_a_cookie_does_not_authorise_a_state_change_on_the_api(
    hub: RunningHub, browser: httpx.Client
) -> None:
    _post_login(browser)
    response = browser.delete("/api/v1/session")
    assert response.status_code == 401
    assert response.json()["code"] == "auth.session_required"


def test_the_api_refuses_a_wrong_password_and_throttles_with_retry_after(hub: RunningHub) -> None:
    with httpx.Client(base_url=hub.url) as api:
        for _ in range(hub.settings.login_max_failures):
            refused = api.post("/api/v1/session", json={"login": LOGIN, "password": WRONG})
            assert refused.status_code == 401
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["code"] == "auth.login_refused"
            assert WRONG not in refused.text
        throttled = api.post("/api/v1/session", json={"login": LOGIN, "password": PASSWORD})
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "auth.login_throttled"
    retry_after = int(throttled.headers["retry-after"])
    assert 0 < retry_after <= hub.settings.login_window_s
    assert throttled.json()["retry_after_s"] == retry_after
    assert _actions(hub.runtime)[-1] == ("login.throttled", LOGIN, "api")


def test_api_answers_and_the_docs_carry_the_security_headers(hub: RunningHub) -> None:
    with httpx.Client(base_url=hub.url) as api:
        health = api.get("/healthz")
        docs = api.get("/docs")
    assert health.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert health.headers["x-frame-options"] == "DENY"
    assert health.headers["referrer-policy"] == "no-referrer"
    assert "cache-control" not in health.headers  # neither a page nor case data
    assert docs.status_code == 200
    assert docs.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert docs.headers["x-frame-options"] == "DENY"
