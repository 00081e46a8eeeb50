"""``GET /metrics``: the hub's Prometheus metrics, read from the database at scrape time.

Meant for the internal network, and still closed by default: a scrape must present
``Authorization: Bearer <HUB_METRICS_TOKEN>``, and without that setting every scrape is
refused (``hub serve`` says so at start) rather than the figures being open to any peer.
The metrics hold counts per type, code, status and partner, never message content.
"""

import hmac
import threading

from fastapi import APIRouter, Request, Response
from prometheus_client import CollectorRegistry

from hub.access import RuntimeDep, presented_api_key
from hub.errors import Rejection
from hub.observability import CONTENT_TYPE, HubCollector, build_registry, render
from hub.runtime import HubRuntime

router = APIRouter(tags=["metrics"])

_registry_lock = threading.Lock()


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format"}},
)
def metrics(request: Request, runtime: RuntimeDep) -> Response:
    """The metrics in Prometheus text format 0.0.4.

    Raises:
        Rejection: ``auth.metrics_token_unset`` (403) when ``HUB_METRICS_TOKEN`` is not
          set; ``auth.missing_credentials`` / ``auth.invalid_credentials`` (401) when the
          request does not carry it.
    """
    token = runtime.settings.metrics_token
    if token is None:
        raise Rejection("auth.metrics_token_unset")
    presented = presented_api_key(request)
    if not presented:
        raise Rejection("auth.missing_credentials")
    if not hmac.compare_digest(presented.encode(), token.encode()):
        raise Rejection("auth.invalid_credentials")
    return Response(render(_registry_of(request, runtime)), media_type=CONTENT_TYPE)


def _registry_of(request: Request, runtime: HubRuntime) -> CollectorRegistry:
    """The app's own registry, built on the first scrape."""
    with _registry_lock:
        registry: CollectorRegistry | None = getattr(request.app.state, "metrics_registry", None)
        if registry is None:
            collector = HubCollector(
                runtime.session_factory,
                broker=runtime.broker,
                clock=runtime.clock,
                worker_stale_s=runtime.settings.worker_stale_s,
            )
            registry = build_registry(collector)
            request.app.state.metrics_registry = registry
        return registry
