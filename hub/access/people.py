"""Who is signed in: the session of a person, for the pages and the people's JSON API alike.

A person's session token arrives in the ``hub_session`` cookie (browsers) or as
``Authorization: Bearer <token>`` (API clients). On ``/api/`` paths the cookie counts only
for safe methods; anything that changes state there needs the Bearer header, which a
browser never adds on its own. Refusals are ``AccessRefused`` rejections; the pages
answer them with a redirect or a Russian error page, the API with problem+json
(``hub.web.auth.install_access_handlers``). Signing in and out commits its own
transaction, audited.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request, Security, params
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from hub.access.requests import client_of, is_api, runtime_of
from hub.cases import Role, Viewer
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

#: How a person presents a session, as the OpenAPI declares it. They never refuse by
#: themselves (``auto_error=False``): ``get_signed_in`` checks the session and answers with
#: ``auth.session_required``, not FastAPI's own 403.
PERSON_BEARER = HTTPBearer(
    scheme_name="PersonSession",
    description=(
        "A person's session token from `POST /api/v1/session` as `Authorization: Bearer "
        "<token>`; it ends at `DELETE /api/v1/session` or after `HUB_SESSION_TTL_S`. "
        "Refusal: `auth.session_required` 401."
    ),
    auto_error=False,
)
PERSON_COOKIE = APIKeyCookie(
    name=SESSION_COOKIE,
    scheme_name="PersonSessionCookie",
    description=(
        "The pages' session cookie; on `/api/` paths it counts for GET only (anything that "
        "changes state needs the Bearer token, which a browser never adds by itself)."
    ),
    auto_error=False,
)


def _declare_person_session(
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(PERSON_BEARER)],
    _cookie: Annotated[str | None, Security(PERSON_COOKIE)],
) -> None:
    """Nothing: the parameters only make FastAPI publish the schemes on a route."""


#: Put on people's API routes (``dependencies=[PERSON_SECURITY]``): their OpenAPI then
#: names the session schemes; the check itself is ``get_signed_in``'s.
PERSON_SECURITY = Depends(_declare_person_session)


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


def require_roles(*roles: Role) -> params.Depends:
    """A dependency that passes only people with one of ``roles``; use as
    ``Annotated[SignedIn, require_roles(Role.SUPERVISOR)]`` or in ``dependencies=[…]``.

    Raises (from the dependency):
        AccessRefused: ``auth.role_forbidden``, audited as ``access.refused``.
    """
    allowed = frozenset(roles)

    def signed_in_with_role(request: Request, signed_in: SignedInDep) -> SignedIn:
        if signed_in.viewer.role not in allowed:
            _audit_refusal(request, signed_in)
            raise AccessRefused("auth.role_forbidden")
        return signed_in

    return params.Depends(signed_in_with_role)


def _audit_refusal(request: Request, signed_in: SignedIn) -> None:
    """Record, committed, that the person's role may not use this route: the refusal stays
    in the audit log however the request ends."""
    runtime = runtime_of(request)
    with runtime.session_factory.begin() as session:
        record_audit(
            session,
            viewer=signed_in.viewer,
            login=signed_in.viewer.login,
            action="access.refused",
            detail=f"{request.method} {request.url.path}",
            client=client_of(request),
            now=runtime.clock(),
        )


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
                keep_s=settings.login_attempt_retention_s,
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
