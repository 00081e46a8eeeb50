"""The canonical payloads (v1) as typed values, and their XML in the hub's envelope.

Every adapter's ``translate`` maps its native records to and from these values, so the XML
shape of each message type is written once, here, after the XSDs in
``schemas/<Type>/<Type>-<major>.<minor>.xsd``. Pure: no I/O and no clock; ids and times are
passed in. Reading raises ``TranslationError`` naming the missing element, so a partner that
gets a message it cannot represent says which field was at fault.

Modules follow the support lifecycle: ``common`` (shared types and XML helpers),
``referral`` (signal), ``assessment`` (survey, consent, decision), ``plan``,
``implementation``, ``exchange`` (information requests), ``closure`` (and the technical
delivery receipt) and ``envelope``. Import from here: ``from adapters import canonical as c``.
"""

from adapters.canonical.assessment import CaseDecision, ConsentRecord, SurveyAct
from adapters.canonical.closure import CaseClosure, DeliveryReceipt
from adapters.canonical.common import (
    COMMON_NS,
    SCHEMA_VERSION,
    Address,
    Adult,
    Child,
    DecisionBody,
    Institution,
    Organisation,
    Period,
    PersonName,
    Specialist,
)
from adapters.canonical.envelope import CanonicalMessage, Payload, from_envelope, to_envelope
from adapters.canonical.exchange import InformationRequest, InformationResponse, RequestedPerson
from adapters.canonical.implementation import ActionReport, ActionStatusUpdate, PeriodicReport
from adapters.canonical.plan import ActionAssignment, PlanAction, SupportPlan
from adapters.canonical.referral import FamilyReferral, Reason, ReferralReceipt

# Grouped by concept (STYLE.md), not alphabetically.
__all__ = [
    # Constants
    "COMMON_NS",
    "SCHEMA_VERSION",
    # Shared types
    "Address",
    "Adult",
    "Child",
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
    "to_envelope",
]
