"""The statistics page: a region's cases by month, outcomes, pace and what is late, with charts.

Curators and supervisors see their own region; administrators pick one or see
all. Agencies' officers have no region statistics (403). Each view is audited
(``stats.view``), like every other read of case data.
"""

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub.cases import RegionStats, Role, Viewer, labels, region_stats
from hub.people import record_audit
from hub.runtime import HubRuntime
from hub.web.auth import SignedIn, client_of, require_roles, runtime_of
from hub.web.charts import Bar, bar_chart, month_chart
from hub.web.routes.cases import ReasonDep, region_view, region_zone
from hub.web.templating import TemplatesDep

router = APIRouter(include_in_schema=False)

#: Who may see region statistics.
STATS_ROLES = (Role.CURATOR, Role.SUPERVISOR, Role.ADMINISTRATOR)
StatsReaderDep = Annotated[SignedIn, require_roles(*STATS_ROLES)]


def read_region_stats(
    runtime: HubRuntime,
    viewer: Viewer,
    region: str | None,
    *,
    client: str,
    channel: str,
    reason: str | None,
) -> RegionStats:
    """The viewer's region statistics (``region`` counts for administrators only), audited.

    Months are counted in the region's time zone, or UTC across all regions.
    """
    now = runtime.clock()
    scope = region if viewer.role is Role.ADMINISTRATOR else viewer.region
    with runtime.session_factory.begin() as session:
        stats = region_stats(
            session, viewer, region=scope, now=now, timezone=region_zone(runtime, scope)
        )
        record_audit(
            session,
            viewer=viewer,
            login=viewer.login,
            action="stats.view",
            detail=f"channel={channel} region={stats.region or '*'}",
            reason=reason,
            client=client,
            now=now,
        )
    return stats


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
    overdue = [
        Bar(labels.label(labels.AGENCY_LABELS, c.key), c.count) for c in stats.overdue_by_agency
    ]
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
            if viewer.role is Role.ADMINISTRATOR
            else [],
            "month_chart": month_chart(
                stats.months, chart_id="chart-months", title="Дела по месяцам"
            ),
            "reasons": reasons,
            "reasons_chart": bar_chart(
                reasons, chart_id="chart-reasons", title="Причины снятия с учёта"
            ),
            "overdue": overdue,
            "overdue_chart": bar_chart(
                overdue, chart_id="chart-overdue", title="Просроченные мероприятия по ведомствам"
            ),
        },
    )
