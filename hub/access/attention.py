"""Audited reads of «требует внимания» and of a case's visits, and the audited visit record.

Shared by the pages, the people's JSON API and the partner feed, like ``reads``: each
goes through ``hub.cases`` with the caller's ``Viewer`` and leaves an audit row in the
same transaction (``attention.view``, ``attention.feed``, ``case.visit``).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from hub.cases import (
    AttentionItem,
    CaseDetail,
    Role,
    Viewer,
    VisitSchedule,
    VisitView,
    attention_items,
    case_visits,
    get_visible_case,
    partner_names,
    record_visit,
    sort_by_urgency,
    unacknowledged_signals,
    visit_schedules,
    without_names,
)
from hub.errors import Rejection
from hub.people import record_audit
from hub.runtime import HubRuntime
from hub.store import CaseFile


@dataclass(frozen=True)
class CaseVisits:
    """A case's visits, newest first, and this month's count against the plan."""

    visits: tuple[VisitView, ...]
    schedule: VisitSchedule


def read_attention(
    runtime: HubRuntime, viewer: Viewer, *, client: str | None, channel: str
) -> list[AttentionItem]:
    """The viewer's attention items, with the ``attention.view`` audit row committed."""
    now = runtime.clock()
    with runtime.session_factory.begin() as session:
        items = attention_items(session, viewer, runtime.regions, now=now)
        record_audit(
            session,
            viewer=viewer,
            login=viewer.login,
            action="attention.view",
            detail=f"channel={channel} items={len(items)}",
            client=client,
            now=now,
        )
    return items


def read_unacknowledged_signals(
    runtime: HubRuntime, viewer: Viewer, *, client: str, channel: str
) -> list[AttentionItem]:
    """Signals without the case owner's receipt in the viewer's scope, the most urgent
    first; audited as ``signal.list`` when there are any to show."""
    now = runtime.clock()
    with runtime.session_factory.begin() as session:
        signals = unacknowledged_signals(
            session, viewer, runtime.regions, partner_names(session), now=now
        )
        if signals:
            record_audit(
                session,
                viewer=viewer,
                login=viewer.login,
                action="signal.list",
                detail=f"channel={channel} items={len(signals)}",
                client=client,
                now=now,
            )
    return sort_by_urgency(signals)


def read_attention_feed(runtime: HubRuntime, partner: str, *, client: str) -> list[AttentionItem]:
    """The items of every region whose cases ``partner`` owns, without names, audited.

    Raises:
        Rejection: ``auth.not_case_owner``, the partner owns no region's cases.
    """
    owned = [r.code for r in runtime.regions.regions.values() if r.case_owner == partner]
    if not owned:
        raise Rejection("auth.not_case_owner", partner)
    return read_regions_attention(
        runtime, owned, login=f"partner:{partner}", channel="feed", client=client
    )


def read_regions_attention(
    runtime: HubRuntime,
    regions: Sequence[str],
    *,
    login: str,
    channel: str,
    client: str | None,
) -> list[AttentionItem]:
    """Every item of ``regions`` as their supervisors see them, most urgent first, without
    names (for systems and the command line, not people); audited as ``attention.feed``."""
    now = runtime.clock()
    items: list[AttentionItem] = []
    with runtime.session_factory.begin() as session:
        for code in regions:
            viewer = Viewer(
                login=login,
                display_name=login,
                role=Role.SUPERVISOR,
                region=code,
                agency=None,
                visible_classes=frozenset(),
            )
            items += attention_items(session, viewer, runtime.regions, now=now)
        record_audit(
            session,
            viewer=None,
            login=login,
            action="attention.feed",
            detail=f"channel={channel} regions={','.join(regions)} items={len(items)}",
            client=client,
            now=now,
        )
    return sort_by_urgency(without_names(items))


def read_case_visits(runtime: HubRuntime, viewer: Viewer, detail: CaseDetail) -> CaseVisits:
    """The visits of a case the viewer has just been shown (its read is already audited)."""
    now = runtime.clock()
    with runtime.read_sessions() as session:
        case = get_visible_case(session, viewer, detail.summary.case_ref)
        return _case_visits(session, viewer, case, runtime, now=now)


def add_visit(
    runtime: HubRuntime,
    viewer: Viewer,
    case_ref: str,
    *,
    visited_on: date,
    note: str | None,
    client: str,
    channel: str,
) -> CaseVisits:
    """Record a visit on a case in the viewer's scope, audited as ``case.visit``.

    The route lets only ``VISIT_RECORDERS`` call it.

    Raises:
        CaseNotVisible: unknown or out of the viewer's scope.
        VisitInvalid: the day or the note is refused.
    """
    now = runtime.clock()
    with runtime.session_factory.begin() as session:
        case = get_visible_case(session, viewer, case_ref)
        region = runtime.regions.for_case(case.region)
        record_visit(
            session, case, viewer, visited_on=visited_on, note=note, region=region, now=now
        )
        record_audit(
            session,
            viewer=viewer,
            login=viewer.login,
            action="case.visit",
            case_ref=case.case_ref,
            detail=f"channel={channel} visited_on={visited_on.isoformat()}",
            client=client,
            now=now,
        )
        return _case_visits(session, viewer, case, runtime, now=now)


def _case_visits(
    session: Session, viewer: Viewer, case: CaseFile, runtime: HubRuntime, *, now: datetime
) -> CaseVisits:
    return CaseVisits(
        visits=case_visits(session, viewer, case.case_ref),
        schedule=visit_schedules(session, [case], runtime.regions, now=now)[case.case_ref],
    )
