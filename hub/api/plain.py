"""A route FastAPI documents but does not serve: the hot path without the framework's work.

FastAPI builds a route's OpenAPI from its declaration (path, status, response model,
router dependencies, ``openapi_extra``) and serves it by solving its dependencies,
validating the answer against the response model and serialising it. On the route
every partner message takes, that serving costs more server CPU than the plain ASGI
handler underneath (issue 20). ``PlainRoute`` keeps the declaration, so the published
OpenAPI is unchanged, but serves by calling the endpoint with the bare ``Request``:
the endpoint reads what it needs itself and returns the finished ``Response``. The
application's middleware and exception handlers still apply (a raised ``Rejection``
becomes problem+json as on every route).
"""

from collections.abc import Callable, Coroutine
from typing import Any, cast

from fastapi import Request, Response
from fastapi.routing import APIRoute

__all__ = ["PlainEndpoint", "PlainRoute"]

#: What a plain route's endpoint is: the request in, the whole answer out.
PlainEndpoint = Callable[[Request], Coroutine[Any, Any, Response]]


class PlainRoute(APIRoute):
    """An ``APIRoute`` served by its endpoint alone (pass as ``route_class_override``).

    The endpoint takes only ``request: Request`` and returns a ``Response``; the router's
    dependencies are published in the OpenAPI but not run, so they must do nothing
    (like ``PARTNER_SECURITY``, which only names the key schemes).
    """

    def get_route_handler(self) -> PlainEndpoint:
        return cast(PlainEndpoint, self.endpoint)
