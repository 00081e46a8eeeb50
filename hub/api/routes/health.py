"""Liveness and readiness for load balancers, orchestrators and monitoring.

- ``/healthz``: the process is up (liveness).
- ``/readyz``: this API process can take messages — the database and the broker
  answer. It also reports how many delivery workers have a fresh heartbeat, as
  information only: an API started before its workers (``hub serve --no-worker``,
  the demo, the tests) is ready to accept, since accepted messages wait durably in
  the outbox.
- ``/readyz?workers=1``: the whole hub delivers — as above, and at least one worker
  heartbeat is at most ``HUB_WORKER_STALE_S`` seconds old. For monitoring, not for
  a load balancer in front of the API.
"""

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from hub.access import RuntimeDep
from hub.api.answers import HealthOut
from hub.observability import workers_alive
from hub.runtime import HubRuntime

router = APIRouter(tags=["health"])


class WorkersOut(BaseModel):
    #: Workers whose heartbeat is at most ``stale_after_s`` seconds old.
    alive: int
    stale_after_s: float


class ReadinessOut(HealthOut):
    workers: WorkersOut


@router.get("/healthz", response_model=HealthOut)
def healthz() -> HealthOut:
    """The process is up and serving."""
    return HealthOut(status="ok")


@router.get("/readyz", response_model=ReadinessOut, responses={503: {"model": ReadinessOut}})
async def readyz(
    runtime: RuntimeDep,
    workers: bool = Query(
        False, description="Also require a delivery worker with a fresh heartbeat."
    ),
) -> JSONResponse:
    """Ready when the database and the broker answer (and, with ``workers=1``, a worker is alive).

    ``checks`` holds ``ok`` or the failure of each required part; ``workers.alive``
    is always reported.
    """
    body = await run_in_threadpool(_readiness, runtime, workers)
    return JSONResponse(body.model_dump(), status_code=200 if body.status == "ok" else 503)


def _readiness(runtime: HubRuntime, require_workers: bool) -> ReadinessOut:
    stale_after_s = runtime.settings.worker_stale_s
    checks: dict[str, str] = {}
    alive = 0
    try:
        with runtime.session_factory() as session:
            session.execute(text("SELECT 1"))
            alive = len(workers_alive(session, now=runtime.clock(), within_s=stale_after_s))
        checks["database"] = "ok"
    except Exception as exc:  # readiness reports any failure rather than raising
        checks["database"] = f"error: {type(exc).__name__}"
    checks["broker"] = runtime.broker_status()
    if require_workers:
        checks["workers"] = "ok" if alive else f"no worker has reported in {stale_after_s:g} s"
    ready = all(result == "ok" for result in checks.values())
    return ReadinessOut(
        status="ok" if ready else "unavailable",
        checks=checks,
        workers=WorkersOut(alive=alive, stale_after_s=stale_after_s),
    )
