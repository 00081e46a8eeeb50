"""Ingest: check, record and route every incoming message (ARCHITECTURE §4)."""

from hub.ingest.certificates import RegisteredCertificates
from hub.ingest.chain import (
    CHAIN_VERSION,
    GENESIS_HASH,
    LINK_COLUMNS,
    Anchor,
    ChainVerdict,
    LinkInputInvalid,
    bytes_problem,
    chain_link,
    expected_link,
    link_digest,
    link_record,
    link_values,
    verify_chain,
)
from hub.ingest.checkpoint import (
    CHECKPOINT_NS,
    CheckpointFacts,
    check_log,
    checkpoint_folder,
    checkpoint_verifier,
    make_checkpoint,
    read_checkpoint,
)
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
    # The sender's registered certificates, remembered for a few seconds
    "RegisteredCertificates",
    # Log chain
    "CHAIN_VERSION",
    "GENESIS_HASH",
    "LINK_COLUMNS",
    "Anchor",
    "ChainVerdict",
    "LinkInputInvalid",
    "bytes_problem",
    "chain_link",
    "expected_link",
    "link_digest",
    "link_record",
    "link_values",
    "verify_chain",
    # Signed checkpoints of the chain head
    "CHECKPOINT_NS",
    "CheckpointFacts",
    "check_log",
    "checkpoint_folder",
    "checkpoint_verifier",
    "make_checkpoint",
    "read_checkpoint",
]
