"""Which partner system is calling: the API key of ``Authorization: Bearer`` or ``X-API-Key``."""

from typing import Annotated

from fastapi import Depends, Request

from hub.access.requests import RuntimeDep
from hub.partners import authenticate
from hub.store import Partner


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
