"""The case tracker: what the hub knows of each family's case, built from accepted messages."""

from hub.cases.access import ALL_CLASSES, Role, Viewer
from hub.cases.escalation import overdue_notice
from hub.cases.projection import STATES, CaseConflictNote, CaseProjector, find_case
from hub.cases.rebuild import rebuild_cases

__all__ = [
    # Projection
    "STATES",
    "CaseConflictNote",
    "CaseProjector",
    "find_case",
    "rebuild_cases",
    # Deadlines
    "overdue_notice",
    # Access
    "ALL_CLASSES",
    "Role",
    "Viewer",
]
