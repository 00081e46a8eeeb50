"""The pages' side of signing in: the session cookie, CSRF, and how refusals are answered.

Who is signed in is ``hub.access``; here a browser gets its session as a cookie, pages post
forms carrying the session's ``csrf_token`` (``CsrfCheckedDep``), and one handler answers
``AccessRefused`` as the caller expects: pages redirect to the login form or show a
Russian error page, ``/api/`` paths get problem+json.
"""

import secrets
from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, FastAPI, Form, Request, Response, params
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates

from hub.access import (
    SESSION_COOKIE,
    AccessRefused,
    SignedIn,
    SignedInDep,
    is_api,
    require_roles,
    runtime_of,
)
from hub.cases import Role
from hub.errors import Rejection


def require_csrf(signed_in: SignedIn, form_token: str) -> None:
    """Check a posted form's ``csrf_token`` against the session's.

    Raises:
        AccessRefused: ``auth.csrf_invalid``.
    """
    # Bytes, so that a non-ASCII forgery is a mismatch rather than a TypeError.
    if not secrets.compare_digest(form_token.encode(), signed_in.csrf_token.encode()):
        raise AccessRefused("auth.csrf_invalid")


def check_csrf(signed_in: SignedInDep, csrf_token: Annotated[str, Form()] = "") -> SignedIn:
    require_csrf(signed_in, csrf_token)
    return signed_in


#: For POST routes of pages: the signed-in person, once the form's CSRF token matched.
CsrfCheckedDep = Annotated[SignedIn, Depends(check_csrf)]


def csrf_checked_roles(*roles: Role) -> params.Depends:
    """For POST routes of pages open to ``roles`` only: the role is checked (and a refusal
    audited) first, then the form's CSRF token."""
    role_dep = require_roles(*roles)

    def checked(
        signed_in: Annotated[SignedIn, role_dep], csrf_token: Annotated[str, Form()] = ""
    ) -> SignedIn:
        require_csrf(signed_in, csrf_token)
        return signed_in

    return params.Depends(checked)


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    """Give the browser its session: a cookie that lives until the browser closes (the
    server ends the session after ``session_ttl_s`` anyway)."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        path="/",
        httponly=True,
        samesite="strict",
        secure=cookie_secure(request),
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=cookie_secure(request)
    )


def cookie_secure(request: Request) -> bool:
    """Secure cookies over HTTPS, and always when ``HUB_COOKIE_SECURE`` is set."""
    return runtime_of(request).settings.cookie_secure or request.url.scheme == "https"


# --- Answering refusals --------------------------------------------------------------

#: What the error page says for each refusal a page can meet.
_PAGE_MESSAGES = {
    "auth.csrf_invalid": "Форма устарела или отправлена не со страницы узла. "
    "Обновите страницу и повторите действие.",
    "auth.role_forbidden": "Для вашей роли эта страница недоступна.",
}


def install_access_handlers(
    app: FastAPI, problem_response: Callable[[Rejection], Response]
) -> None:
    """Answer ``AccessRefused``: problem+json (via ``problem_response``) on ``/api/``, a
    redirect to the login form or a Russian error page elsewhere."""

    async def on_access_refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AccessRefused)
        if is_api(request):
            response = problem_response(exc)
            if exc.retry_after_s is not None:
                response.headers["Retry-After"] = str(exc.retry_after_s)
            return response
        if exc.code == "auth.session_required":
            return RedirectResponse(login_url_for(request), status_code=303)
        templates = app.state.templates
        assert isinstance(templates, Jinja2Templates)
        message = _PAGE_MESSAGES.get(exc.code, "Доступ запрещён.")
        return templates.TemplateResponse(
            request,
            "error.html",
            {"signed_in": None, "title": "Доступ запрещён", "message": message},
            status_code=exc.status,
        )

    app.add_exception_handler(AccessRefused, on_access_refused)


def login_url_for(request: Request) -> str:
    """``/login?next=<this page>``; a form post comes back to the start page instead, since
    its URL cannot be opened again with GET."""
    if request.method != "GET":
        return "/login"
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return "/login?next=" + quote(target, safe="")
