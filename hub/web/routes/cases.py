"""The case pages: «Мои семьи», one family's case, and the case's action lines as CSV.

Every read is one of ``hub.access``'s audited reads, as in the JSON API
(``hub.api.routes.cases``); so is a supervisor's curator assignment, posted from the
case page. Times are shown in the case region's time zone, which the
page names.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from hub.access import (
    AccessRefused,
    CaseFiltersDep,
    ReasonDep,
    SignedIn,
    SignedInDep,
    assign_case_curator,
    client_of,
    csv_response,
    curator_choices,
    find_region,
    read_case,
    read_case_list,
    read_case_visits,
    read_unacknowledged_signals,
    region_zone,
    runtime_of,
)
from hub.cases import (
    VISIT_RECORDERS,
    CaseDetail,
    CaseNotVisible,
    CuratorNotAssignable,
    DeadlineView,
    Role,
    labels,
    partner_name,
    partner_names,
)
from hub.runtime import HubRuntime
from hub.web.auth import CsrfCheckedDep
from hub.web.templating import TemplatesDep

router = APIRouter(include_in_schema=False)

#: Code families the templates label through ``lbl(kind, code)``.
_LABELS = {
    "state": labels.STATE_LABELS,
    "category": labels.CATEGORY_LABELS,
    "risk": labels.RISK_LABELS,
    "help_type": labels.HELP_TYPE_LABELS,
    "action_status": labels.ACTION_STATUS_LABELS,
    "closure_reason": labels.CLOSURE_REASON_LABELS,
    "decision_body": labels.DECISION_BODY_KIND_LABELS,
    "decision_outcome": labels.DECISION_OUTCOME_LABELS,
    "consent": labels.CONSENT_LABELS,
    "deadline_kind": labels.DEADLINE_KIND_LABELS,
    "conflict": labels.CONFLICT_LABELS,
    "message_type": labels.MESSAGE_TYPE_LABELS,
    "agency": labels.AGENCY_LABELS,
    "delivery": labels.DELIVERY_STATUS_LABELS,
}


def lbl(kind: str, code: str | None) -> str:
    """The Russian word for a code of the family ``kind`` (a key of ``_LABELS``)."""
    return labels.label(_LABELS[kind], code)


# --- Regions and time zones -------------------------------------------------------------


@dataclass(frozen=True)
class RegionView:
    """How a page names a region and its time."""

    name: str
    #: IANA zone name, for the ``dt`` filter.
    timezone: str
    #: e.g. "UTC+12", now.
    utc_offset: str
    #: The curator's home visits per month and the executors' report period, by the rules.
    visits_per_month: int | None = None
    report_period_months: int | None = None


def region_view(runtime: HubRuntime, code: str | None, *, now: datetime) -> RegionView:
    """The region's Russian name and time zone; UTC for a region the rules do not know."""
    region = find_region(runtime, code)
    if region is None:
        return RegionView(name=code or "регион не указан", timezone="UTC", utc_offset="UTC")
    zone = region.calendar.timezone
    return RegionView(
        name=region.name,
        timezone=zone.key,
        utc_offset=_utc_offset(zone, now),
        visits_per_month=region.visits_per_month,
        report_period_months=region.report_period_months,
    )


def _utc_offset(zone: ZoneInfo, now: datetime) -> str:
    offset = zone.utcoffset(now.astimezone(UTC).replace(tzinfo=None)) or timedelta()
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


# --- Pages --------------------------------------------------------------------------------


@router.get("/cases")
def cases_page(
    request: Request,
    signed_in: SignedInDep,
    templates: TemplatesDep,
    filters: CaseFiltersDep,
    reason: ReasonDep,
) -> Response:
    """«Мои семьи» (curators, officers) or «Все семьи региона» (supervisors, administrators)."""
    runtime = runtime_of(request)
    viewer = signed_in.viewer
    cases = read_case_list(
        runtime, viewer, filters, client=client_of(request), channel="web", reason=reason
    )
    signals = read_unacknowledged_signals(runtime, viewer, client=client_of(request), channel="web")
    whole_region = viewer.role is Role.SUPERVISOR or viewer.hub_wide
    return templates.TemplateResponse(
        request,
        "cases.html",
        {
            "signed_in": signed_in,
            "title": "Все семьи региона" if whole_region else "Мои семьи",
            "cases": cases,
            "signals": signals,
            "filters": filters,
            "reason": reason or "",
            "states": labels.STATE_LABELS,
            "categories": labels.CATEGORY_LABELS,
            "choose_region": viewer.hub_wide,
            "why_suffix": "?why=" + quote(reason, safe="") if reason else "",
            "lbl": lbl,
        },
    )


@router.get("/cases/{case_ref}")
def case_page(
    case_ref: str,
    request: Request,
    signed_in: SignedInDep,
    templates: TemplatesDep,
    reason: ReasonDep,
) -> Response:
    """One family's case: stages, plan, action lines, deadlines, conflicts, message history."""
    runtime = runtime_of(request)
    try:
        detail = read_case(
            runtime,
            signed_in.viewer,
            case_ref,
            action="case.view",
            client=client_of(request),
            channel="web",
            reason=reason,
        )
    except CaseNotVisible:
        return case_not_found(request, templates, signed_in)
    now = runtime.clock()
    region = region_view(runtime, detail.summary.region, now=now)
    zone = region_zone(runtime, detail.summary.region)
    supervisor = signed_in.viewer.role is Role.SUPERVISOR
    return templates.TemplateResponse(
        request,
        "case.html",
        {
            "visits": read_case_visits(runtime, signed_in.viewer, detail),
            "can_record_visit": signed_in.viewer.role in VISIT_RECORDERS,
            "today": now.astimezone(zone).date().isoformat(),
            "signed_in": signed_in,
            "case": detail,
            "region": region,
            "tz": region.timezone,
            "current_plan": next((p for p in detail.plans if p.current), None),
            "earlier_plans": [p for p in detail.plans if not p.current],
            "csv_url": f"/cases/{quote(case_ref, safe='')}/actions.csv",
            "curator_choices": curator_choices(runtime, signed_in.viewer) if supervisor else None,
            "assign_url": f"/cases/{quote(case_ref, safe='')}/curator",
            "lbl": lbl,
            **_wording(runtime, detail),
        },
    )


#: What the page says when an assignment is refused, by ``CuratorNotAssignable.reason``.
_NOT_ASSIGNABLE = {
    "unknown_login": "Такой учётной записи нет.",
    "not_a_curator": "Эта учётная запись — не куратор.",
    "inactive": "Эта учётная запись заблокирована.",
    "other_region": "Этот куратор работает в другом регионе.",
    "no_staff_id": "У этой учётной записи нет табельного номера в системе центра: "
    "администратор узла должен указать его.",
    "already_curator": "Этот куратор уже ведёт дело.",
}


@router.post("/cases/{case_ref}/curator")
def assign_curator_form(
    case_ref: str,
    request: Request,
    signed_in: CsrfCheckedDep,
    templates: TemplatesDep,
    curator: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """A supervisor's form: make a curator account the case's curator, then back to the case."""
    if signed_in.viewer.role is not Role.SUPERVISOR:
        raise AccessRefused("auth.role_forbidden")
    runtime = runtime_of(request)
    try:
        assign_case_curator(
            runtime.session_factory,
            signed_in.viewer,
            case_ref,
            curator,
            now=runtime.clock(),
            client=client_of(request),
            channel="web",
        )
    except CaseNotVisible:
        return case_not_found(request, templates, signed_in)
    except CuratorNotAssignable as exc:
        return templates.TemplateResponse(
            request,
            "error.html",
            {
                "signed_in": signed_in,
                "title": "Куратор не назначен",
                "message": _NOT_ASSIGNABLE[exc.reason],
            },
            status_code=422,
        )
    return RedirectResponse(f"/cases/{quote(case_ref, safe='')}", status_code=303)


def _wording(runtime: HubRuntime, detail: CaseDetail) -> dict[str, object]:
    """The case page's words for what the case holds as codes: ``who(code)`` names a
    partner system, ``subject(deadline)`` says what a deadline is about, and
    ``explain(code)`` what a conflict means."""
    with runtime.session_factory() as session:
        names = partner_names(session)
    measures = {a.action_id: a.measure for a in detail.actions}

    def who(code: str) -> str:
        return partner_name(names, code)

    def subject(deadline: DeadlineView) -> str:
        return labels.deadline_subject(deadline.kind, deadline.subject, measures)

    return {"who": who, "subject": subject, "explain": labels.conflict_explanation}


@router.get("/cases/{case_ref}/actions.csv")
def case_actions_csv(
    case_ref: str,
    request: Request,
    signed_in: SignedInDep,
    templates: TemplatesDep,
    reason: ReasonDep,
) -> Response:
    """The case's action lines as a CSV file for Excel (what the case page shows)."""
    runtime = runtime_of(request)
    try:
        detail = read_case(
            runtime,
            signed_in.viewer,
            case_ref,
            action="case.export",
            client=client_of(request),
            channel="web",
            reason=reason,
        )
    except CaseNotVisible:
        return case_not_found(request, templates, signed_in)
    return csv_response(detail, region_zone(runtime, detail.summary.region))


def case_not_found(request: Request, templates: Jinja2Templates, signed_in: SignedIn) -> Response:
    """The 404 page: the same for an unknown case and for one outside the person's scope."""
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "signed_in": signed_in,
            "title": "Дело не найдено",
            "message": "Такого дела нет или оно вам недоступно.",
        },
        status_code=404,
    )
