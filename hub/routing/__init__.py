"""Routing: who may send what, and who receives each accepted message."""

from hub.routing.consent import ConsentRules
from hub.routing.delivery_deadlines import URGENT, DeliveryDeadlines
from hub.routing.resolve import RoutingFacts, resolve_recipients
from hub.routing.rules import STRIPPABLE_CLASSES, Route, RoutingRules, load_rules
from hub.routing.yamlsource import ConfigInvalid, YamlSource, load_yaml, validated

__all__ = [
    # Rules
    "STRIPPABLE_CLASSES",
    "ConfigInvalid",
    "Route",
    "RoutingRules",
    "load_rules",
    # Delivery deadlines
    "URGENT",
    "DeliveryDeadlines",
    # YAML with lines, for other config files
    "YamlSource",
    "load_yaml",
    "validated",
    # Consent
    "ConsentRules",
    # Resolution
    "RoutingFacts",
    "resolve_recipients",
]
