"""The canonical payloads (v1) as typed values, and their XML in the hub's envelope.

The one description of each message type that code reads and writes: every adapter's
``translate`` maps its native records to and from these values, and the hub reads the
messages it verified (``read_payload``, without validating them twice) and builds its own
(overdue notices) through them. The XML shape of each type is written once, here, after
the XSDs in ``schemas/<Type>/<Type>-<major>.<minor>.xsd``. Pure: no I/O and no clock; ids
and times are passed in. Reading raises ``TranslationError`` naming the missing element,
so a partner that gets a message it cannot represent says which field was at fault.

Modules follow the support lifecycle: ``common`` (shared types and XML helpers),
``referral`` (signal), ``assessment`` (survey, consent, decision), ``plan``,
``implementation``, ``exchange`` (information requests), ``closure`` (and the technical
delivery receipt) and ``envelope``. Import from here: ``from schemas import canonical as c``.
"""

from schemas.canonical.assessment import CaseDecision, ConsentRecord, SurveyAct
from schemas.canonical.closure import (
    NOT_DELIVERED,
    NOT_DELIVERED_VERSION,
    CaseClosure,
    DeliveryReceipt,
)
from schemas.canonical.common import (
    COMMON_NS,
    CURATOR_STAFF_ID_VERSION,
    SCHEMA_VERSION,
    Address,
    Adult,
    Child,
    Curator,
    DecisionBody,
    Institution,
    Organisation,
    Period,
    PersonName,
    Specialist,
)
from schemas.canonical.envelope import (
    CanonicalMessage,
    Payload,
    from_envelope,
    read_payload,
    to_envelope,
)
from schemas.canonical.exchange import InformationRequest, InformationResponse, RequestedPerson
from schemas.canonical.implementation import ActionReport, ActionStatusUpdate, PeriodicReport
from schemas.canonical.plan import ActionAssignment, PlanAction, SupportPlan
from schemas.canonical.referral import FamilyReferral, Reason, ReferralReceipt

# Grouped by concept (CONTRIBUTING.md), not alphabetically.
__all__ = [
    # Constants
    "COMMON_NS",
    "CURATOR_STAFF_ID_VERSION",
    "NOT_DELIVERED",
    "NOT_DELIVERED_VERSION",
    "SCHEMA_VERSION",
    # Shared types
    "Address",
    "Adult",
    "Child",
    "Curator",
    "DecisionBody",
    "Institution",
    "Organisation",
    "Period",
    "PersonName",
    "Specialist",
    # Signal
    "FamilyReferral",
    "Reason",
    "ReferralReceipt",
    # Survey, consent, decision
    "CaseDecision",
    "ConsentRecord",
    "SurveyAct",
    # Plan
    "ActionAssignment",
    "PlanAction",
    "SupportPlan",
    # Implementation
    "ActionReport",
    "ActionStatusUpdate",
    "PeriodicReport",
    # Information exchange
    "InformationRequest",
    "InformationResponse",
    "RequestedPerson",
    # Closure and delivery
    "CaseClosure",
    "DeliveryReceipt",
    # Envelope
    "CanonicalMessage",
    "Payload",
    "from_envelope",
    "read_payload",
    "to_envelope",
]
