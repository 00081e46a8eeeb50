"""Partner adapters: each partner system's translate, transport and simulator.

The hub uses the delivery contract and the registry; partners (and the simulators) use the
hub client. Each ``translate`` maps native records to the canonical model of
``schemas.canonical``. Submodules: ``base`` (contract), ``registry``, ``hub_client``,
``native``, ``simulation``, ``errors`` and one package per partner system.

This package exports the delivery contract only. The registry, the one module that knows
every partner, is imported where it is used (``from adapters.registry import ADAPTERS,
get_adapter``), so that importing one partner's package does not import the other five.
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

# Grouped by concept (CONTRIBUTING.md), not alphabetically.
__all__ = [
    # Delivery contract
    "Adapter",
    "DeliveryResult",
    "InMemoryTransport",
    "OutboundMessage",
    "Transport",
    # Errors
    "AdapterError",
    "PartnerError",
    "PartnerRejected",
    "PartnerUnavailable",
    "UnknownAdapter",
]
