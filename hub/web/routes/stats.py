"""The statistics page: a region's cases by month, outcomes, pace and what is late, with charts.

Curators and supervisors see their own region; administrators pick one or see
all. Agencies' officers have no region statistics (403). Each view is audited
(``stats.view``), like every other read of case data.
"""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub.access import ReasonDep, StatsReaderDep, client_of, read_region_stats, runtime_of
from hub.cases import labels
from hub.web.charts import Bar, bar_chart, month_chart
from hub.web.routes.cases import region_view
from hub.web.templating import TemplatesDep

router = APIRouter(include_in_schema=False)


def agency_name(code: str) -> str:
    """The Russian name of an agency code."""
    return labels.label(labels.AGENCY_LABELS, code)


@router.get("/stats")
def stats_page(
    request: Request,
    signed_in: StatsReaderDep,
    templates: TemplatesDep,
    reason: ReasonDep,
    region: str = "",
) -> Response:
    """Figures and three charts: cases per month, closure reasons, overdue lines per agency."""
    runtime = runtime_of(request)
    viewer = signed_in.viewer
    stats = read_region_stats(
        runtime,
        viewer,
        region or None,
        client=client_of(request),
        channel="web",
        reason=reason,
    )
    reasons = [
        Bar(labels.label(labels.CLOSURE_REASON_LABELS, c.key), c.count)
        for c in stats.closure_reasons
    ]
    overdue = [Bar(agency_name(c.key), c.count) for c in stats.overdue_by_agency]
    return templates.TemplateResponse(
        request,
        "stats.html",
        {
            "signed_in": signed_in,
            "stats": stats,
            "region": region_view(runtime, stats.region, now=runtime.clock())
            if stats.region
            else None,
            "regions": sorted((r.code, r.name) for r in runtime.regions.regions.values())
            if viewer.hub_wide
            else [],
            "month_chart": month_chart(
                stats.months, chart_id="chart-months", title="Дела по месяцам"
            ),
            "reasons": reasons,
            "reasons_chart": bar_chart(
                reasons, chart_id="chart-reasons", title="Причины снятия с учёта"
            ),
            "overdue": overdue,
            "agency_name": agency_name,
            "overdue_chart": bar_chart(
                overdue, chart_id="chart-overdue", title="Просроченные мероприятия по ведомствам"
            ),
        },
    )
