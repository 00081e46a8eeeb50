"""Routing: who may send what, and who receives each accepted message."""

from hub.routing.resolve import resolve_recipients
from hub.routing.rules import CORRELATED_SENDER, Route, RoutingRules, load_rules
from hub.routing.yamlsource import ConfigInvalid

__all__ = [
    # Rules
    "CORRELATED_SENDER",
    "ConfigInvalid",
    "Route",
    "RoutingRules",
    "load_rules",
    # Resolution
    "resolve_recipients",
]
