"""hub.app.build_app: the routes and OpenAPI without a runtime, the same as a running hub's."""

import httpx

from hub.app import build_app
from tests.stack import RunningHub


def test_openapi_without_a_runtime_is_the_running_hubs(hub_api: RunningHub) -> None:
    served = httpx.get(f"{hub_api.url}/openapi.json", timeout=10)

    assert served.status_code == 200
    assert build_app(hub_api.runtime.settings).openapi() == served.json()
