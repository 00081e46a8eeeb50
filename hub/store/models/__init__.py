"""The hub's tables, one module per aggregate: messages and delivery, cases, people."""

from hub.store.models.alerts import AlertIncident, AlertNotification, JobClaim
from hub.store.models.attention import CaseVisit, DigestSent
from hub.store.models.cases import (
    CaseAction,
    CaseActionStatus,
    CaseConflict,
    CaseConsent,
    CaseCuratorAssignment,
    CaseDeadline,
    CaseFile,
    CasePlan,
    CaseReferral,
    CaseReport,
    DeadlineOutcome,
)
from hub.store.models.messages import (
    ChainCheckpoint,
    ChainHead,
    DeliveryAttempt,
    DeliveryMode,
    DeliveryStatus,
    HubNotice,
    MessageLog,
    OutboxDelivery,
    Partner,
    PartnerApiKey,
    PartnerCertificate,
    PartnerCircuit,
    Rejection,
    WorkerHeartbeat,
)
from hub.store.models.operations import EvidenceRequest, ReplayBatch
from hub.store.models.people import AuditEntry, LoginAttempt, Person, WebSession

__all__ = [
    # Alerts
    "AlertIncident",
    "AlertNotification",
    "JobClaim",
    # Messages and delivery
    "ChainHead",
    "DeliveryAttempt",
    "DeliveryMode",
    "DeliveryStatus",
    "ChainCheckpoint",
    "HubNotice",
    "MessageLog",
    "OutboxDelivery",
    "Partner",
    "PartnerApiKey",
    "PartnerCertificate",
    "PartnerCircuit",
    "Rejection",
    "WorkerHeartbeat",
    # Cases
    "CaseAction",
    "CaseActionStatus",
    "CaseConflict",
    "CaseConsent",
    "CaseCuratorAssignment",
    "CaseDeadline",
    "DeadlineOutcome",
    "CaseFile",
    "CasePlan",
    "CaseReferral",
    "CaseReport",
    "CaseVisit",
    # People
    "AuditEntry",
    "DigestSent",
    "LoginAttempt",
    "Person",
    "WebSession",
    # Operators' work in turns
    "EvidenceRequest",
    "ReplayBatch",
]
