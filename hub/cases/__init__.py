"""The case tracker: what the hub knows of each family's case, built from accepted messages."""

from hub.cases.attention import (
    AttentionItem,
    AttentionKind,
    attention_items,
    sort_by_urgency,
    unacknowledged_signals,
    without_names,
)
from hub.cases.curators import (
    CuratorAssignment,
    CuratorChoice,
    CuratorNotAssignable,
    assign_curator,
    assignable_curators,
)
from hub.cases.deadlines import (
    DUE_SOON_WORKING_DAYS,
    DeadlineStanding,
    DeadlineState,
    calendar_of,
    classify,
    classify_action,
    classify_deadline,
    due_text,
    format_due,
    standing_text,
)
from hub.cases.export import ACTIONS_CSV_HEADER, actions_csv
from hub.cases.names import partner_name, partner_names
from hub.cases.notices import (
    RECEIPT_NOTICE_PREFIX,
    non_delivery_notice,
    notice_key,
    overdue_notice,
    receipt_notice_key,
    unacknowledged_signal_notice,
)
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
    get_visible_case,
    is_action_overdue,
    is_deadline_overdue,
    list_cases,
)
from hub.cases.rebuild import rebuild_cases
from hub.cases.scope import (
    ADMIN_READERS,
    ALL_CLASSES,
    EVIDENCE_ROLES,
    HUB_ROLES,
    OPERATORS,
    Role,
    Viewer,
)
from hub.cases.stats import (
    STATS_MONTHS,
    AgencyLateness,
    CountBy,
    MonthFigures,
    MonthLateness,
    RegionStats,
    region_stats,
)
from hub.cases.visits import (
    MAX_VISIT_NOTE_CHARS,
    VISIT_RECORDERS,
    VisitInvalid,
    VisitSchedule,
    VisitView,
    case_visits,
    record_visit,
    visit_schedules,
    visits_due,
)
from hub.store import DeadlineOutcome

__all__ = [
    # Projection
    "STATES",
    "CaseConflictNote",
    "CaseProjector",
    "find_case",
    "rebuild_cases",
    # Deadlines: one classification, one way of showing them
    "DUE_SOON_WORKING_DAYS",
    "DeadlineOutcome",
    "DeadlineState",
    "DeadlineStanding",
    "calendar_of",
    "classify",
    "classify_action",
    "classify_deadline",
    "due_text",
    "format_due",
    "standing_text",
    "notice_key",
    "overdue_notice",
    "non_delivery_notice",
    # Scope: who may see which case and which data
    "ALL_CLASSES",
    "Role",
    "HUB_ROLES",
    "ADMIN_READERS",
    "OPERATORS",
    "EVIDENCE_ROLES",
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
    # Curators: who curates a case (by staff id), supervisors' assignments
    "CuratorAssignment",
    "CuratorChoice",
    "CuratorNotAssignable",
    "assign_curator",
    "assignable_curators",
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
    "AgencyLateness",
    "MonthLateness",
    "region_stats",
    # «Требует внимания», and the reminder of an unacknowledged urgent signal
    "AttentionItem",
    "AttentionKind",
    "attention_items",
    "sort_by_urgency",
    "unacknowledged_signals",
    "without_names",
    "RECEIPT_NOTICE_PREFIX",
    "receipt_notice_key",
    "unacknowledged_signal_notice",
    "get_visible_case",
    # Visits to the family (hub data, not messages)
    "MAX_VISIT_NOTE_CHARS",
    "VISIT_RECORDERS",
    "VisitInvalid",
    "VisitSchedule",
    "VisitView",
    "case_visits",
    "record_visit",
    "visit_schedules",
    "visits_due",
]
