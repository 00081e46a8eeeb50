"""Which partner system is calling: the API key of ``Authorization: Bearer`` or ``X-API-Key``."""

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from hub.access.requests import RuntimeDep
from hub.partners import authenticate
from hub.store import Partner

_KEY_LIFE = (
    "`hub partners add` issues a partner's key into its bundle (file `api_key`); "
    "`hub partners rotate-key` issues a new one and lets the old one work for an overlap "
    "(`--overlap-hours`, 168 by default), so a partner switches without an outage. "
    "Refusals: `auth.missing_credentials` / `auth.invalid_credentials` 401, "
    "`auth.partner_inactive` 403."
)
#: The two ways a partner may present its API key, as the OpenAPI declares them. They never
#: refuse by themselves (``auto_error=False``): ``get_partner`` and ingest check the key and
#: answer with the hub's codes, not FastAPI's own 403.
PARTNER_BEARER = HTTPBearer(
    scheme_name="PartnerApiKey",
    description=f"A partner system's API key as `Authorization: Bearer <key>`. {_KEY_LIFE}",
    auto_error=False,
)
PARTNER_HEADER = APIKeyHeader(
    name="X-API-Key",
    scheme_name="PartnerApiKeyHeader",
    description=f"The same API key in `X-API-Key`, for clients that cannot set Bearer. {_KEY_LIFE}",
    auto_error=False,
)


def _declare_partner_key(
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(PARTNER_BEARER)],
    _header: Annotated[str | None, Security(PARTNER_HEADER)],
) -> None:
    """Nothing: the parameters only make FastAPI publish the schemes on a route."""


#: Put on partner routes (``dependencies=[PARTNER_SECURITY]``): their OpenAPI then names
#: the API key schemes; the check itself is ``get_partner``'s (or ingest's).
PARTNER_SECURITY = Depends(_declare_partner_key)


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


def get_partner_code(request: Request, runtime: RuntimeDep) -> str:
    """The code of the partner system that owns the presented API key, for ingest and the
    routes that need no more of it: a key that passed is not read again for
    ``credential_recheck_s``, so a partner polling its inbox costs no database read for it.

    Raises:
        Rejection: auth.* (401/403).
    """
    return runtime.partner_keys.authenticate_code(presented_api_key(request), now=runtime.clock())


PartnerCodeDep = Annotated[str, Depends(get_partner_code)]
