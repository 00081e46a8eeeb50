"""Ingest: check, record and route every incoming message (ARCHITECTURE §4)."""

from hub.ingest.chain import GENESIS_HASH, ChainVerdict, chain_link, verify_chain
from hub.ingest.factory import (
    build_ingestor,
    build_inspector,
    hub_signer,
    open_pki,
    parse_limits,
    verify_policy,
)
from hub.ingest.inspect import InspectedMessage, Inspector
from hub.ingest.pipeline import (
    DeliveryRef,
    Freshness,
    Ingestor,
    IngestReceipt,
    OnCommitted,
)
from hub.ingest.record import RejectionFacts

__all__ = [
    # Construction
    "build_ingestor",
    "build_inspector",
    "hub_signer",
    "open_pki",
    "parse_limits",
    "verify_policy",
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
    "ChainVerdict",
    "chain_link",
    "verify_chain",
]
