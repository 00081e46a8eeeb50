"""Who is signed in: FastAPI dependencies for pages and the people's JSON API.

A person's session token arrives in the ``hub_session`` cookie (browsers) or as
``Authorization: Bearer <token>`` (API clients). Refusals are ``AccessRefused``
rejections; one handler answers them as the caller expects: pages redirect to
the login form or show a Russian error page, ``/api/`` paths get problem+json.

CSRF: pages post forms carrying the session's ``csrf_token`` (``CsrfCheckedDep``).
On ``/api/`` paths the cookie counts only for safe methods; anything that changes
state there needs the Bearer header, which a browser never adds on its own.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, FastAPI, Form, Request, Response, params
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates

from hub.cases.scope import Role, Viewer
from hub.errors import Rejection
from hub.people import (
    LOGIN_PATTERN,
    LoginRefused,
    LoginThrottled,
    end_session,
    find_session,
    log_in,
    open_session,
    record_audit,
    viewer_for,
)
from hub.runtime import HubRuntime

#: The session cookie: HttpOnly, SameSite=Strict, Path=/; Secure over HTTPS or when configured.
SESSION_COOKIE = "hub_session"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class SignedIn:
    """The person behind a request, as plain values (no database rows leave the session)."""

    person_id: int
    viewer: Viewer
    #: Goes into every form the person's pages post (``csrf_token`` field).
    csrf_token: str
    session_token: str


class AccessRefused(Rejection):
    """A request refused for who is (or is not) signed in: ``auth.session_required``,
    ``auth.csrf_invalid``, ``auth.role_forbidden``, ``auth.login_refused``,
    ``auth.login_throttled``."""

    def __init__(self, code: str, *, retry_after_s: int | None = None) -> None:
        if retry_after_s is None:
            super().__init__(code)
        else:
            super().__init__(code, retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s


# hub.api imports this module while building the app, so importing hub.api.deps here
# would be circular; this twin of its get_runtime reads the same app.state.
def runtime_of(request: Request) -> HubRuntime:
    runtime = request.app.state.runtime
    assert isinstance(runtime, HubRuntime)
    return runtime


def client_of(request: Request) -> str:
    """The client's address, as the throttle and the audit log know it."""
    return request.client.host if request.client is not None else "unknown"


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def presented_session_token(request: Request) -> str | None:
    """The session token from ``Authorization: Bearer``, else from the cookie where it counts."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if is_api(request) and request.method not in _SAFE_METHODS:
        return None
    return request.cookies.get(SESSION_COOKIE) or None


def get_signed_in(request: Request) -> SignedIn:
    """The signed-in person.

    Raises:
        AccessRefused: ``auth.session_required`` — no token, or an unknown, expired or
            ended session, or a disabled account.
    """
    runtime = runtime_of(request)
    token = presented_session_token(request)
    if token is None:
        raise AccessRefused("auth.session_required")
    with runtime.session_factory() as session:
        found = find_session(session, token, now=runtime.clock())
        if found is None:
            raise AccessRefused("auth.session_required")
        row, person = found
        return SignedIn(
            person_id=person.id,
            viewer=viewer_for(person, runtime.rules),
            csrf_token=row.csrf_token,
            session_token=token,
        )


SignedInDep = Annotated[SignedIn, Depends(get_signed_in)]


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


def require_roles(*roles: Role) -> params.Depends:
    """A dependency that passes only people with one of ``roles``; use as
    ``Annotated[SignedIn, require_roles(Role.SUPERVISOR)]`` or in ``dependencies=[…]``.

    Raises (from the dependency):
        AccessRefused: ``auth.role_forbidden``.
    """
    allowed = frozenset(roles)

    def signed_in_with_role(signed_in: SignedInDep) -> SignedIn:
        if signed_in.viewer.role not in allowed:
            raise AccessRefused("auth.role_forbidden")
        return signed_in

    return params.Depends(signed_in_with_role)


# --- Signing in and out (the web layer owns these transactions) ---------------------


@dataclass(frozen=True)
class NewSession:
    """A session just opened: the token is shown to the client once."""

    token: str
    expires_at: datetime
    viewer: Viewer


def sign_in(
    runtime: HubRuntime, *, login: str, password: str, client: str, channel: str
) -> NewSession:
    """Log in, open a session and audit it, committed; refusals are audited and committed too.

    ``channel`` ("web" or "api") goes into the audit detail.

    Raises:
        LoginRefused, LoginThrottled: from ``log_in``.
    """
    settings = runtime.settings
    now = runtime.clock()
    with runtime.session_factory.begin() as session:
        try:
            person = log_in(
                session,
                login=login,
                password=password,
                client=client,
                now=now,
                max_failures=settings.login_max_failures,
                window_s=settings.login_window_s,
            )
        except (LoginRefused, LoginThrottled) as exc:
            action = "login.throttled" if isinstance(exc, LoginThrottled) else "login.refused"
            record_audit(
                session,
                viewer=None,
                login=_loggable_login(login),
                action=action,
                detail=channel,
                client=client,
                now=now,
            )
            refusal = exc
        else:
            token, row = open_session(session, person, now=now, ttl_s=settings.session_ttl_s)
            viewer = viewer_for(person, runtime.rules)
            record_audit(
                session,
                viewer=viewer,
                login=person.login,
                action="login",
                detail=channel,
                client=client,
                now=now,
            )
            return NewSession(token=token, expires_at=row.expires_at, viewer=viewer)
    raise refusal


def _loggable_login(typed: str) -> str:
    """The typed login for the audit of a refusal, unless it cannot be a login at all —
    then it may be a password typed in the wrong field, and is not kept."""
    login = typed.strip().lower()
    return login if LOGIN_PATTERN.fullmatch(login) else "(invalid)"


def sign_out(runtime: HubRuntime, signed_in: SignedIn, *, client: str, channel: str) -> None:
    """End the session and audit the logout, committed."""
    now = runtime.clock()
    with runtime.session_factory.begin() as session:
        end_session(session, signed_in.session_token, now=now)
        record_audit(
            session,
            viewer=signed_in.viewer,
            login=signed_in.viewer.login,
            action="logout",
            detail=channel,
            client=client,
            now=now,
        )


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
