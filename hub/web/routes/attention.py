"""The «Требует внимания» page, and the case page's form that records a visit to the family.

Reads and the visit go through ``hub.access.attention``, audited like every case read;
the form carries the session's CSRF token. Dates are the region's, as on the case page.
"""

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from hub.access import (
    AccessRefused,
    SignedInDep,
    add_visit,
    client_of,
    read_attention,
    runtime_of,
)
from hub.cases import (
    MAX_VISIT_NOTE_CHARS,
    VISIT_RECORDERS,
    AttentionKind,
    CaseNotVisible,
    Role,
    VisitInvalid,
)
from hub.web.auth import CsrfCheckedDep
from hub.web.routes.cases import case_not_found, region_view
from hub.web.templating import TemplatesDep

router = APIRouter(include_in_schema=False)

#: The heading of each kind of item on the page.
KIND_LABELS = {
    AttentionKind.ESCALATED_SIGNAL: "срочный сигнал без подтверждения",
    AttentionKind.LATE_SIGNAL: "сигнал без подтверждения",
    AttentionKind.OVERDUE: "просрочено",
    AttentionKind.MISSING_REPORT: "нет отчёта",
    AttentionKind.CONFLICT: "противоречие",
    AttentionKind.VISITS_BEHIND: "посещения",
    AttentionKind.NEW_SIGNAL: "новый сигнал",
    AttentionKind.DUE_SOON: "срок скоро",
}


@router.get("/attention")
def attention_page(request: Request, signed_in: SignedInDep, templates: TemplatesDep) -> Response:
    """«Требует внимания»: what the person should act on now, most urgent first."""
    runtime = runtime_of(request)
    viewer = signed_in.viewer
    items = read_attention(runtime, viewer, client=client_of(request), channel="web")
    now = runtime.clock()
    regions = {i.region: region_view(runtime, i.region, now=now) for i in items}
    return templates.TemplateResponse(
        request,
        "attention.html",
        {
            "signed_in": signed_in,
            "items": items,
            "regions": regions,
            "kinds": KIND_LABELS,
            "whole_region": viewer.role is Role.SUPERVISOR or viewer.hub_wide,
        },
    )


@router.post("/cases/{case_ref}/visits")
def visit_form(
    case_ref: str,
    request: Request,
    signed_in: CsrfCheckedDep,
    templates: TemplatesDep,
    visited_on: Annotated[date, Form()],
    note: Annotated[str, Form(max_length=MAX_VISIT_NOTE_CHARS)] = "",
) -> Response:
    """Record a visit from the case page, then show the case again."""
    if signed_in.viewer.role not in VISIT_RECORDERS:
        raise AccessRefused("auth.role_forbidden")
    try:
        add_visit(
            runtime_of(request),
            signed_in.viewer,
            case_ref,
            visited_on=visited_on,
            note=note,
            client=client_of(request),
            channel="web",
        )
    except CaseNotVisible:
        return case_not_found(request, templates, signed_in)
    except VisitInvalid:
        return templates.TemplateResponse(
            request,
            "error.html",
            {
                "signed_in": signed_in,
                "title": "Посещение не записано",
                "message": "Дата посещения не может быть позже сегодняшней или раньше, "
                "чем год назад. Вернитесь на страницу дела и исправьте дату.",
            },
            status_code=422,
        )
    return RedirectResponse(f"/cases/{quote(case_ref, safe='')}#visits", status_code=303)
