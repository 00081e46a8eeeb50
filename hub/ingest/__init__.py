"""Ingest: check, record and route every incoming message (ARCHITECTURE §4)."""

from hub.ingest.inspect import InspectedMessage, Inspector
from hub.ingest.pipeline import (
    DeliveryRef,
    Freshness,
    IngestReceipt,
    Ingestor,
    OnCommitted,
)
from hub.ingest.record import GENESIS_HASH, RejectionFacts, chain_link

__all__ = [
    # Pipeline
    "DeliveryRef",
    "Freshness",
    "IngestReceipt",
    "Ingestor",
    "InspectedMessage",
    "Inspector",
    "OnCommitted",
    "RejectionFacts",
    # Log chain
    "GENESIS_HASH",
    "chain_link",
]
