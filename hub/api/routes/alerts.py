"""``GET /api/v1/alerts``: the alert incidents, for operators' tools (as ``hub alerts list``).

Authenticate as a person (``POST /api/v1/session``) with a staff role (administrator,
observer, operator, auditor), as the administrators' pages do; curators, supervisors and
officers get 403 ``auth.role_forbidden``. Incidents carry
rule names, partner codes and figures, no personal data, so reading them is not audited.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict

from hub.access import PERSON_SECURITY, SignedIn, require_roles, runtime_of
from hub.cases import ADMIN_READERS
from hub.store import list_incidents

router = APIRouter(prefix="/api/v1", tags=["alerts"], dependencies=[PERSON_SECURITY])

#: Reads: every staff role (as the /admin dashboard that shows the same incidents).
AdminReaderDep = Annotated[SignedIn, require_roles(*ADMIN_READERS)]


class AlertOut(BaseModel):
    """One incident: a rule firing about one subject, from its start to its resolution."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    rule: str
    subject: str
    title: str
    detail: str
    started_at: datetime
    last_seen_at: datetime
    #: null while the incident is open.
    resolved_at: datetime | None
    #: Later evaluations that found it again while it was open.
    repeats: int
    acked_by: str | None
    acked_at: datetime | None


class AlertsOut(BaseModel):
    alerts: list[AlertOut]


@router.get("/alerts", response_model=AlertsOut)
def get_alerts(
    request: Request,
    signed_in: AdminReaderDep,
    all_: Annotated[bool, Query(alias="all", description="Resolved incidents too")] = False,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many (1–500)")] = 100,
) -> AlertsOut:
    """Open incidents, newest first; with ``all=true`` resolved ones too."""
    with runtime_of(request).session_factory() as session:
        incidents = list_incidents(session, include_resolved=all_, limit=limit)
        return AlertsOut(alerts=[AlertOut.model_validate(i) for i in incidents])
