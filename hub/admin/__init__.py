"""Administrators' read models: the overview dashboard, the message trace, evidence export.

Wiring-level like ``hub.web``: it reads the store through ``hub.observability`` and
re-verifies stored originals with ``signing``. The pages (``hub.web.routes.admin``)
and the CLI (``hub stats``, ``hub evidence``) call these and own the transactions
and the audit rows; nothing here commits.
"""

from hub.admin.evidence import CHAIN_FORMULA, EVIDENCE_FILES, chain_proof, export_evidence
from hub.admin.overview import (
    DELIVERY_STATES,
    FLOW_HOURS,
    FlowSeries,
    Overview,
    PartnerHealth,
    read_overview,
)
from hub.admin.trace import (
    MASK,
    AttemptView,
    CertificateFacts,
    ChainFacts,
    DeliveryView,
    MessageDetail,
    MessageRow,
    TraceFilters,
    TrustMaterial,
    VerificationReport,
    chain_facts,
    find_message,
    get_message_detail,
    mask_personal_data,
    search_messages,
    signer_certificate,
    verification_report,
)

__all__ = [
    # Overview
    "DELIVERY_STATES",
    "FLOW_HOURS",
    "FlowSeries",
    "Overview",
    "PartnerHealth",
    "read_overview",
    # Trace
    "MASK",
    "AttemptView",
    "CertificateFacts",
    "ChainFacts",
    "DeliveryView",
    "MessageDetail",
    "MessageRow",
    "TraceFilters",
    "TrustMaterial",
    "VerificationReport",
    "chain_facts",
    "find_message",
    "get_message_detail",
    "mask_personal_data",
    "search_messages",
    "signer_certificate",
    "verification_report",
    # Evidence
    "CHAIN_FORMULA",
    "EVIDENCE_FILES",
    "chain_proof",
    "export_evidence",
]
