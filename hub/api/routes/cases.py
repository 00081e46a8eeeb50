"""People's JSON API to the case tracker: the case list, one case, its actions CSV, statistics.

The same audited reads as the pages (``hub.access``), answered as JSON. Authenticate
with ``Authorization: Bearer <token>`` from ``POST /api/v1/session``. A case outside the
caller's scope is a 404 ``request.not_found``, exactly like an unknown one.
"""

from datetime import date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from hub.access import (
    PERSON_SECURITY,
    CaseFiltersDep,
    ReasonDep,
    SignedInDep,
    StatsReaderDep,
    client_of,
    csv_response,
    read_case,
    read_case_list,
    read_region_stats,
    region_zone,
    runtime_of,
)
from hub.cases import CaseDetail, CaseSummary, DeadlineOutcome, DeadlineState, RegionStats

router = APIRouter(prefix="/api/v1", tags=["cases"], dependencies=[PERSON_SECURITY])


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CaseSummaryOut(_Out):
    """One case of the list; names are null for administrators."""

    case_ref: str
    region: str | None
    state: str
    category: str | None
    risk_level: str | None
    urgent: bool
    family_name: str | None
    children_count: int | None
    curator_name: str | None
    opened_at: datetime
    #: The earliest open due time; null once the case is closed.
    next_deadline: datetime | None
    #: The same as the pages show it: «01.12.2026» (local), with the time only for hour rules.
    next_deadline_text: str | None
    #: Late now.
    overdue_count: int
    #: Was late: deadlines met after their due time.
    late_done_count: int
    conflict_count: int


class CaseListOut(_Out):
    cases: list[CaseSummaryOut]


class PlanOut(_Out):
    plan_id: str
    version: int
    approved_at: datetime
    period_from: date
    period_to: date | None
    approved_by: str | None
    curator_name: str | None
    goals: str | None
    actions_count: int
    current: bool


class StatusOut(_Out):
    reporter: str
    status: str
    status_at: datetime
    organisation: str | None
    comment: str | None


class ActionOut(_Out):
    action_id: str
    plan_id: str
    plan_version: int
    measure: str
    help_type: str
    responsible_agency: str
    #: The partner the action goes to: the agency's own system or an organisation of it.
    executor: str
    responsible_organisation: str | None
    specialist_name: str | None
    deadline: date
    due_at: datetime
    status: str
    status_at: datetime
    in_plan: bool
    notes: str | None
    overdue: bool
    #: open, due_soon, late, done_on_time, done_late, withdrawn, dropped.
    state: DeadlineState
    #: Calendar days late (region's time zone) when late or done late; else 0.
    days_late: int
    #: The due date as the pages show it.
    due_text: str
    #: The pages' Russian mark: «исполнено с опозданием на 4 дн.».
    mark: str
    history: list[StatusOut]


class ReportOut(_Out):
    report_id: str
    sender: str
    plan_id: str
    period_from: date
    period_to: date | None
    received_at: datetime
    summary: str | None


class DeadlineOut(_Out):
    kind: str
    subject: str
    responsible: str
    due_at: datetime
    #: The rule counts hours: ``due_text`` shows the local time too.
    in_hours: bool
    #: When the clock stopped; ``outcome`` says how (met, withdrawn at closure, dropped).
    met_at: datetime | None
    outcome: DeadlineOutcome | None
    escalated_at: datetime | None
    overdue: bool
    state: DeadlineState
    days_late: int
    due_text: str
    mark: str


class ConflictOut(_Out):
    sender: str
    message_type: str
    code: str
    detail: str
    detected_at: datetime


class DeliveryStateOut(_Out):
    recipient: str
    status: str
    delivered_at: datetime | None


class TimelineEntryOut(_Out):
    at: datetime
    message_type: str
    sender: str
    message_id: str
    priority: str
    deliveries: list[DeliveryStateOut]


class CaseDetailOut(_Out):
    """One case as the caller may see it: fields of classes they may not read are null,
    rows of other agencies are left out for officers."""

    summary: CaseSummaryOut
    decision_body_kind: str | None
    decision_body_name: str | None
    decision_outcome: str | None
    consent_status: str | None
    signal_at: datetime | None
    receipt_at: datetime | None
    survey_at: datetime | None
    consent_at: datetime | None
    decision_at: datetime | None
    plan_at: datetime | None
    closed_at: datetime | None
    closure_reason: str | None
    post_support_until: date | None
    plans: list[PlanOut]
    actions: list[ActionOut]
    reports: list[ReportOut]
    deadlines: list[DeadlineOut]
    conflicts: list[ConflictOut]
    timeline: list[TimelineEntryOut]


class MonthOut(_Out):
    month: str
    opened: int
    closed: int


class CountOut(_Out):
    key: str
    count: int


class AgencyLatenessOut(_Out):
    agency: str
    late_now: int
    done_late: int
    done_on_time: int


class MonthLatenessOut(_Out):
    month: str
    agency: str
    late_now: int
    done_late: int


class RegionStatsOut(_Out):
    """A region's figures (``region`` null: all regions, administrators only)."""

    region: str | None
    cases_total: int
    cases_open: int
    months: list[MonthOut]
    closure_reasons: list[CountOut]
    closed_total: int
    goals_achieved_share: float | None
    median_days_signal_to_decision: float | None
    median_days_decision_to_plan: float | None
    overdue_by_agency: list[CountOut]
    missing_reports: int
    #: Action lines late now, done late and done on time, per agency.
    lateness_by_agency: list[AgencyLatenessOut]
    #: Late lines per month of their due day (region's time zone) and agency.
    lateness_by_month: list[MonthLatenessOut]


@router.get("/cases", response_model=CaseListOut)
def list_cases(
    request: Request, signed_in: SignedInDep, filters: CaseFiltersDep, reason: ReasonDep
) -> CaseListOut:
    """The caller's cases: overdue first, then by the nearest deadline.

    ``q`` searches the case reference and, for roles that see names, the family name.
    """
    cases: list[CaseSummary] = read_case_list(
        runtime_of(request),
        signed_in.viewer,
        filters,
        client=client_of(request),
        channel="api",
        reason=reason,
    )
    return CaseListOut(cases=[CaseSummaryOut.model_validate(c) for c in cases])


@router.get("/cases/{case_ref}", response_model=CaseDetailOut)
def get_case(
    case_ref: str, request: Request, signed_in: SignedInDep, reason: ReasonDep
) -> CaseDetailOut:
    """One case: stages, plan versions, action lines with history, deadlines, conflicts,
    and the messages exchanged on it with their deliveries."""
    detail: CaseDetail = read_case(
        runtime_of(request),
        signed_in.viewer,
        case_ref,
        action="case.view",
        client=client_of(request),
        channel="api",
        reason=reason,
    )
    return CaseDetailOut.model_validate(detail)


@router.get(
    "/cases/{case_ref}/actions.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "UTF-8 with BOM, `;`-separated"},
    },
)
def get_case_actions_csv(
    case_ref: str, request: Request, signed_in: SignedInDep, reason: ReasonDep
) -> Response:
    """The case's action lines as CSV for Excel (Russian header; local times of the region)."""
    runtime = runtime_of(request)
    detail = read_case(
        runtime,
        signed_in.viewer,
        case_ref,
        action="case.export",
        client=client_of(request),
        channel="api",
        reason=reason,
    )
    return csv_response(detail, region_zone(runtime, detail.summary.region))


@router.get("/stats", response_model=RegionStatsOut)
def get_stats(
    request: Request, signed_in: StatsReaderDep, reason: ReasonDep, region: str = ""
) -> RegionStatsOut:
    """Region statistics: the caller's region; administrators choose ``region`` or get all."""
    stats: RegionStats = read_region_stats(
        runtime_of(request),
        signed_in.viewer,
        region or None,
        client=client_of(request),
        channel="api",
        reason=reason,
    )
    return RegionStatsOut.model_validate(stats)
