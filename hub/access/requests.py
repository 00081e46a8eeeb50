"""What every route reads from its request: the hub's runtime and the caller's address."""

from typing import Annotated

from fastapi import Depends, Request

from hub.runtime import HubRuntime


def runtime_of(request: Request) -> HubRuntime:
    """The runtime ``create_app`` put on the application."""
    runtime = request.app.state.runtime
    assert isinstance(runtime, HubRuntime)
    return runtime


RuntimeDep = Annotated[HubRuntime, Depends(runtime_of)]


def client_of(request: Request) -> str:
    """The client's address, as the throttle and the audit log know it."""
    return request.client.host if request.client is not None else "unknown"


def is_api(request: Request) -> bool:
    """Whether the request is for the JSON API (``/api/``) rather than a page."""
    return request.url.path.startswith("/api/")
