"""«Требует внимания» over HTTP: a person's list, a case's visits, and the case owner's feed.

People authenticate with ``Authorization: Bearer <token>`` from ``POST /api/v1/session``;
the social centre's own system pulls the feed with its partner API key. Every read is
audited (``hub.access.attention``).
"""

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field

from hub.access import (
    PARTNER_SECURITY,
    PERSON_SECURITY,
    CaseVisits,
    PartnerCodeDep,
    ReasonDep,
    SignedIn,
    SignedInDep,
    add_visit,
    client_of,
    read_attention,
    read_attention_feed,
    read_case,
    read_case_visits,
    require_roles,
    runtime_of,
)
from hub.cases import MAX_VISIT_NOTE_CHARS, VISIT_RECORDERS, AttentionItem

router = APIRouter(prefix="/api/v1", tags=["attention"])

VisitRecorderDep = Annotated[SignedIn, require_roles(*VISIT_RECORDERS)]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class VisitScheduleOut(_Out):
    """Visits this month (the region's time zone) against the plan's ``visits_per_month``."""

    done: int
    required: int
    behind: bool


class AttentionItemOut(_Out):
    """One thing to act on; ``case_ref`` is null for a signal no case was opened for yet."""

    kind: str = Field(
        description="escalated_signal, late_signal, overdue, missing_report, conflict, "
        "visits_behind, new_signal or due_soon (the order of urgency)"
    )
    region: str | None
    case_ref: str | None
    urgent: bool
    due_at: datetime | None
    family_name: str | None = Field(description="null for administrators and in the feed")
    topic: str | None = Field(description="the deadline's kind, or the conflict's code")
    responsible: str | None
    visits: VisitScheduleOut | None
    text: str = Field(description="the item in Russian, with local dates")


class AttentionOut(_Out):
    items: list[AttentionItemOut]


class VisitOut(_Out):
    visited_on: date
    note: str | None
    recorded_by: str
    recorded_at: datetime


class CaseVisitsOut(_Out):
    visits: list[VisitOut]
    schedule: VisitScheduleOut


class VisitIn(BaseModel):
    """A visit to the family: its day (the region's calendar) and a short note."""

    model_config = ConfigDict(extra="forbid")

    visited_on: date
    note: str | None = Field(default=None, max_length=MAX_VISIT_NOTE_CHARS)


def _items(items: list[AttentionItem]) -> AttentionOut:
    return AttentionOut(items=[AttentionItemOut.model_validate(i) for i in items])


@router.get("/attention", response_model=AttentionOut, dependencies=[PERSON_SECURITY])
def get_attention(request: Request, signed_in: SignedInDep) -> AttentionOut:
    """What needs the caller's attention in their scope, most urgent first."""
    items = read_attention(
        runtime_of(request), signed_in.viewer, client=client_of(request), channel="api"
    )
    return _items(items)


@router.get(
    "/cases/{case_ref}/visits", response_model=CaseVisitsOut, dependencies=[PERSON_SECURITY]
)
def get_visits(
    case_ref: str, request: Request, signed_in: SignedInDep, reason: ReasonDep
) -> CaseVisitsOut:
    """The curator's visits to the family, newest first, and this month's count."""
    runtime = runtime_of(request)
    detail = read_case(
        runtime,
        signed_in.viewer,
        case_ref,
        action="case.view",
        client=client_of(request),
        channel="api",
        reason=reason,
    )
    return _visits(read_case_visits(runtime, signed_in.viewer, detail))


@router.post(
    "/cases/{case_ref}/visits",
    response_model=CaseVisitsOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[PERSON_SECURITY],
)
def post_visit(
    case_ref: str, visit: VisitIn, request: Request, signed_in: VisitRecorderDep
) -> CaseVisitsOut:
    """Record a visit to the family (curators on their cases, supervisors in their region)."""
    visits = add_visit(
        runtime_of(request),
        signed_in.viewer,
        case_ref,
        visited_on=visit.visited_on,
        note=visit.note,
        client=client_of(request),
        channel="api",
    )
    return _visits(visits)


def _visits(visits: CaseVisits) -> CaseVisitsOut:
    return CaseVisitsOut.model_validate(visits)


@router.get("/feed/attention", response_model=AttentionOut, dependencies=[PARTNER_SECURITY])
def get_attention_feed(request: Request, partner: PartnerCodeDep) -> AttentionOut:
    """The case owner's feed: the attention items of every region whose cases the calling
    system owns, without family names (``auth.not_case_owner`` for any other system)."""
    items = read_attention_feed(runtime_of(request), partner, client=client_of(request))
    return _items(items)
