"""The case tracker: what the hub knows of each family's case, built from accepted messages."""

from hub.cases.export import ACTIONS_CSV_HEADER, actions_csv
from hub.cases.names import partner_name, partner_names
from hub.cases.notices import notice_key, overdue_notice
from hub.cases.projection import STATES, CaseConflictNote, CaseProjector, find_case
from hub.cases.queries import (
    ActionView,
    CaseDetail,
    CaseFilters,
    CaseNotVisible,
    CaseSummary,
    ConflictView,
    DeadlineView,
    DeliveryView,
    PlanView,
    ReportView,
    StatusView,
    TimelineEntry,
    get_case,
    is_action_overdue,
    is_deadline_overdue,
    list_cases,
)
from hub.cases.rebuild import rebuild_cases
from hub.cases.scope import ALL_CLASSES, Role, Viewer
from hub.cases.stats import STATS_MONTHS, CountBy, MonthFigures, RegionStats, region_stats

__all__ = [
    # Projection
    "STATES",
    "CaseConflictNote",
    "CaseProjector",
    "find_case",
    "rebuild_cases",
    # Deadlines
    "notice_key",
    "overdue_notice",
    # Scope: who may see which case and which data
    "ALL_CLASSES",
    "Role",
    "Viewer",
    # Reading cases (need-to-know applied)
    "CaseFilters",
    "CaseSummary",
    "CaseDetail",
    "PlanView",
    "ActionView",
    "StatusView",
    "ReportView",
    "DeadlineView",
    "ConflictView",
    "TimelineEntry",
    "DeliveryView",
    "list_cases",
    "get_case",
    "is_action_overdue",
    "is_deadline_overdue",
    "CaseNotVisible",
    # Export
    "ACTIONS_CSV_HEADER",
    "actions_csv",
    # Naming partner systems on the pages
    "partner_names",
    "partner_name",
    # Statistics
    "STATS_MONTHS",
    "RegionStats",
    "MonthFigures",
    "CountBy",
    "region_stats",
]
