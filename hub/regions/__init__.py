"""Regions: each region's case owner, decision bodies, stage deadlines and working calendar."""

from hub.regions.calendar import Deadline, WorkingCalendar
from hub.regions.region import (
    DecisionBodyRule,
    Region,
    RegionRules,
    default_regions_dir,
    load_regions,
)
from hub.routing.yamlsource import ConfigInvalid

__all__ = [
    # Rules
    "Region",
    "RegionRules",
    "DecisionBodyRule",
    "load_regions",
    "default_regions_dir",
    # Calendar and deadlines
    "Deadline",
    "WorkingCalendar",
    # Errors
    "ConfigInvalid",
]
