"""Request dependencies, named as ``Annotated`` aliases: the runtime, a session, the partner."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from hub.partners import authenticate
from hub.runtime import HubRuntime
from hub.store import Partner


def get_runtime(request: Request) -> HubRuntime:
    runtime = request.app.state.runtime
    assert isinstance(runtime, HubRuntime)
    return runtime


RuntimeDep = Annotated[HubRuntime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    with runtime.session_factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def presented_api_key(request: Request) -> str | None:
    """The API key from ``Authorization: Bearer …`` or ``X-API-Key``."""
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    return request.headers.get("x-api-key")


def get_partner(request: Request, runtime: RuntimeDep) -> Partner:
    """The partner system that owns the presented API key.

    Raises:
        Rejection: auth.* (401/403).
    """
    with runtime.session_factory() as session:
        return authenticate(session, presented_api_key(request), now=runtime.clock())


PartnerDep = Annotated[Partner, Depends(get_partner)]
