"""The case tracker: what the hub knows of each family's case, built from accepted messages."""

from hub.cases.projection import find_case, project_message

__all__ = ["find_case", "project_message"]
