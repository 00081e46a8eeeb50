"""The login and logout pages, and the start page that leads to them.

The login form has no session yet to carry a CSRF token, so it uses a
double-submit token: a short-lived random cookie (``hub_login_csrf``) whose value
the form must repeat. Another site can neither read the cookie nor, with
SameSite=Strict, make the browser send it along, so it cannot log a victim into
an account of its choosing.
"""

import math
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from hub.access import client_of, runtime_of, sign_in, sign_out
from hub.people import LoginRefused, LoginThrottled
from hub.web.auth import (
    CsrfCheckedDep,
    clear_session_cookie,
    cookie_secure,
    set_session_cookie,
)
from hub.web.templating import TemplatesDep

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_COOKIE = "hub_login_csrf"
#: How long a login form may stay open before it must be reloaded, in seconds.
LOGIN_FORM_TTL_S = 1_800
#: Where a person lands after login when no (safe) ``next`` was given.
HOME = "/cases"

_REFUSED = "Неверное имя пользователя или пароль."
_STALE_FORM = "Форма входа устарела. Введите имя пользователя и пароль ещё раз."


@router.get("/")
def start() -> RedirectResponse:
    """The start page is the person's list of families (or the login form on the way)."""
    return RedirectResponse(HOME, status_code=303)


@router.get("/login")
def login_form(request: Request, templates: TemplatesDep, next: str = "") -> Response:
    """The login form."""
    return _render_form(request, templates, next_page=next)


@router.post("/login")
async def login(
    request: Request,
    templates: TemplatesDep,
    login: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    login_csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the form, log in and go to ``next``; or show the form again with the reason."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie.encode(), login_csrf.encode()):
        return _render_form(
            request, templates, next_page=next, login=login, error=_STALE_FORM, status=403
        )
    runtime = runtime_of(request)
    try:
        # argon2 takes tens of milliseconds of CPU: keep it off the event loop.
        new = await run_in_threadpool(
            sign_in,
            runtime,
            login=login,
            password=password,
            client=client_of(request),
            channel="web",
        )
    except LoginThrottled as exc:
        minutes = math.ceil(exc.retry_after_s / 60)
        error = f"Слишком много попыток входа. Повторите через {minutes} мин."
        response = _render_form(
            request, templates, next_page=next, login=login, error=error, status=429
        )
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    except LoginRefused:
        return _render_form(
            request, templates, next_page=next, login=login, error=_REFUSED, status=401
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, request, new.token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, signed_in: CsrfCheckedDep) -> RedirectResponse:
    """End the session and go back to the login form."""
    sign_out(runtime_of(request), signed_in, client=client_of(request), channel="web")
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, request)
    return response


def safe_next(next_page: str) -> str:
    """``next_page`` if it is a path on this site, else the home page.

    Only ``/…`` paths pass: ``//host`` and ``/\\host`` would leave the site (browsers
    read a backslash as a slash), and control characters could split the header.
    """
    if (
        next_page.startswith("/")
        and not next_page.startswith("//")
        and "\\" not in next_page
        and next_page.isprintable()
    ):
        return next_page
    return HOME


def _render_form(
    request: Request,
    templates: Jinja2Templates,
    *,
    next_page: str,
    login: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    """The form with a fresh double-submit token, set in the cookie too."""
    token = secrets.token_urlsafe(32)
    response = templates.TemplateResponse(
        request,
        "login.html",
        {
            "signed_in": None,
            "login_csrf": token,
            "next": safe_next(next_page) if next_page else "",
            "login": login,
            "error": error,
        },
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=LOGIN_FORM_TTL_S,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=cookie_secure(request),
    )
    return response
