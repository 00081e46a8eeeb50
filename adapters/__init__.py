"""Partner adapters: each partner system's translate, transport and simulator.

The hub uses the delivery contract and the registry; partners (and the simulators) use the
hub client. Each ``translate`` maps native records to the canonical model of
``schemas.canonical``. Submodules: ``base`` (contract), ``registry``, ``hub_client``,
``native``, ``simulation``, ``errors`` and one package per partner system.
"""

from adapters.base import (
    Adapter,
    DeliveryResult,
    InMemoryTransport,
    OutboundMessage,
    PartnerError,
    PartnerRejected,
    PartnerUnavailable,
    Transport,
)
from adapters.errors import AdapterError, UnknownAdapter
from adapters.registry import ADAPTERS, get_adapter

# Grouped by concept (CONTRIBUTING.md), not alphabetically.
__all__ = [
    # Delivery contract
    "Adapter",
    "DeliveryResult",
    "InMemoryTransport",
    "OutboundMessage",
    "Transport",
    # Registry
    "ADAPTERS",
    "get_adapter",
    # Errors
    "AdapterError",
    "PartnerError",
    "PartnerRejected",
    "PartnerUnavailable",
    "UnknownAdapter",
]
