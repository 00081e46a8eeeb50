"""Audited reads of case data: the case list, one case, its actions CSV, region statistics.

The pages (``hub.web``) and the people's JSON API (``hub.api``) read through these same
functions, so no case data reaches a person unrecorded: each read goes through
``hub.cases`` with the signed-in person's ``Viewer`` and leaves an audit row in the same
transaction. The query parameters both accept are parsed here too.
"""

import re
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Query
from fastapi.responses import Response

from hub.access.people import SignedIn, require_roles
from hub.cases import (
    CaseDetail,
    CaseFilters,
    CaseNotVisible,
    CaseSummary,
    RegionStats,
    Role,
    Viewer,
    actions_csv,
    calendar_of,
    get_case,
    region_stats,
)
from hub.cases import list_cases as query_cases
from hub.people import record_audit
from hub.regions import Region
from hub.runtime import HubRuntime

#: Longest search text and reason accepted from a form or query, in characters.
MAX_SEARCH_CHARS = 200
MAX_REASON_CHARS = 500

#: Who may see region statistics.
STATS_ROLES = (Role.CURATOR, Role.SUPERVISOR, Role.ADMINISTRATOR)
StatsReaderDep = Annotated[SignedIn, require_roles(*STATS_ROLES)]

_UNSAFE_FILENAME_CHARS = re.compile(r"[^A-Za-z0-9._-]")


# --- Request parameters ---------------------------------------------------------------------


def case_filters(
    state: str = "",
    category: str = "",
    overdue_only: bool = False,
    q: Annotated[str, Query(max_length=MAX_SEARCH_CHARS)] = "",
    region: str = "",
) -> CaseFilters:
    """The list's filters from the query string; empty fields filter nothing."""
    return CaseFilters(
        state=state or None,
        category=category or None,
        overdue_only=overdue_only,
        text=q.strip() or None,
        region=region or None,
    )


CaseFiltersDep = Annotated[CaseFilters, Depends(case_filters)]


def view_reason(
    why: Annotated[str, Query(max_length=MAX_REASON_CHARS, description="Основание просмотра")] = "",
) -> str | None:
    """The optional reason a person gives for looking (``why``), kept in the audit log."""
    return why.strip() or None


ReasonDep = Annotated[str | None, Depends(view_reason)]


# --- Audited reads ------------------------------------------------------------------------


def read_case_list(
    runtime: HubRuntime,
    viewer: Viewer,
    filters: CaseFilters,
    *,
    client: str,
    channel: str,
    reason: str | None,
) -> list[CaseSummary]:
    """The viewer's cases, with the ``case.list`` audit row committed alongside."""
    now = runtime.clock()
    with runtime.session_factory.begin() as session:
        cases = query_cases(session, viewer, filters, now=now, regions=runtime.regions)
        record_audit(
            session,
            viewer=viewer,
            login=viewer.login,
            action="case.list",
            detail=_audit_detail(channel, filters.audit_detail()),
            reason=reason,
            client=client,
            now=now,
        )
    return cases


def read_case(
    runtime: HubRuntime,
    viewer: Viewer,
    case_ref: str,
    *,
    action: str,
    client: str,
    channel: str,
    reason: str | None,
) -> CaseDetail:
    """One case, with the audit row (``action``: case.view or case.export) committed.

    A refused look is audited too (``case.not_visible``): probing for case references
    shows in the log.

    Raises:
        CaseNotVisible: unknown or out of the viewer's scope.
    """
    now = runtime.clock()
    try:
        with runtime.session_factory.begin() as session:
            detail = get_case(session, viewer, case_ref, now=now, regions=runtime.regions)
            record_audit(
                session,
                viewer=viewer,
                login=viewer.login,
                action=action,
                case_ref=case_ref,
                detail=_audit_detail(channel),
                reason=reason,
                client=client,
                now=now,
            )
            return detail
    except CaseNotVisible:
        with runtime.session_factory.begin() as session:
            record_audit(
                session,
                viewer=viewer,
                login=viewer.login,
                action="case.not_visible",
                case_ref=case_ref[:64],
                detail=_audit_detail(channel),
                reason=reason,
                client=client,
                now=now,
            )
        raise


def _audit_detail(channel: str, filters: str = "") -> str:
    return f"channel={channel} {filters}".strip()


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

    Months and days late are counted in the region's calendar, or UTC across all regions.
    """
    now = runtime.clock()
    scope = region if viewer.hub_wide else viewer.region
    with runtime.session_factory.begin() as session:
        stats = region_stats(
            session, viewer, region=scope, now=now, calendar=calendar_of(runtime.regions, scope)
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


def csv_response(detail: CaseDetail, zone: ZoneInfo) -> Response:
    """The actions CSV as a download named after the case."""
    filename = _UNSAFE_FILENAME_CHARS.sub("_", detail.summary.case_ref) + "-actions.csv"
    return Response(
        actions_csv(detail, timezone=zone),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            # A family's data: a shared agency computer must not keep a copy in its cache.
            "Cache-Control": "no-store",
        },
    )


def evidence_zip_response(data: bytes, hub_id: int) -> Response:
    """An evidence zip (the unmasked original) as a download, never cached."""
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="evidence-{hub_id}.zip"',
            "Cache-Control": "no-store",
        },
    )


# --- Regions ----------------------------------------------------------------------------


def region_zone(runtime: HubRuntime, code: str | None) -> ZoneInfo:
    """The region's time zone; UTC for a region the rules do not know."""
    region = find_region(runtime, code)
    return region.calendar.timezone if region is not None else ZoneInfo("UTC")


def find_region(runtime: HubRuntime, code: str | None) -> Region | None:
    if code is None:
        return None
    try:
        return runtime.regions.get(code)
    except LookupError:
        return None
