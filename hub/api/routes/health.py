"""Liveness and readiness for load balancers and orchestrators."""

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import text

from hub.api.deps import RuntimeDep
from hub.api.schemas import HealthOut
from hub.runtime import HubRuntime

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut)
def healthz() -> HealthOut:
    """The process is up and serving."""
    return HealthOut(status="ok")


@router.get("/readyz", response_model=HealthOut, responses={503: {"model": HealthOut}})
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Ready when the database and the broker both answer."""
    checks = await run_in_threadpool(_check_dependencies, runtime)
    ready = all(result == "ok" for result in checks.values())
    body = HealthOut(status="ok" if ready else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


def _check_dependencies(runtime: HubRuntime) -> dict[str, str]:
    checks: dict[str, str] = {}
    try:
        with runtime.session_factory() as session:
            session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # readiness reports any failure rather than raising
        checks["database"] = f"error: {type(exc).__name__}"
    checks["broker"] = runtime.broker_status()
    return checks
