"""People's JSON login: a session token for API clients, sent back as ``Authorization: Bearer``.

The same login, throttle and audit as the login page (``hub.access.sign_in``);
only the answer differs: a token in JSON instead of a cookie.
"""

from datetime import datetime

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from hub.access import (
    PERSON_SECURITY,
    AccessRefused,
    SignedInDep,
    client_of,
    runtime_of,
    sign_in,
    sign_out,
)
from hub.people import LoginRefused, LoginThrottled

router = APIRouter(prefix="/api/v1/session", tags=["session"])


class SessionIn(BaseModel):
    login: str = Field(max_length=200)
    password: str = Field(max_length=1_000)


class SessionOut(BaseModel):
    """A new session: present ``token`` as ``Authorization: Bearer <token>``."""

    token: str
    expires_at: datetime
    role: str
    region: str | None


@router.post("", status_code=201, response_model=SessionOut)
async def open_api_session(body: SessionIn, request: Request) -> SessionOut:
    """Log in with login and password.

    Refusals: ``auth.login_refused`` (401), ``auth.login_throttled`` (429, ``Retry-After``).
    """
    try:
        # argon2 takes tens of milliseconds of CPU: keep it off the event loop.
        new = await run_in_threadpool(
            sign_in,
            runtime_of(request),
            login=body.login,
            password=body.password,
            client=client_of(request),
            channel="api",
        )
    except LoginThrottled as exc:
        raise AccessRefused("auth.login_throttled", retry_after_s=exc.retry_after_s) from exc
    except LoginRefused as exc:
        raise AccessRefused("auth.login_refused") from exc
    return SessionOut(
        token=new.token,
        expires_at=new.expires_at,
        role=new.viewer.role.value,
        region=new.viewer.region,
    )


@router.delete("", status_code=204, dependencies=[PERSON_SECURITY])
def close_api_session(signed_in: SignedInDep, request: Request) -> Response:
    """Log out: the Bearer token stops working."""
    sign_out(runtime_of(request), signed_in, client=client_of(request), channel="api")
    return Response(status_code=204)
