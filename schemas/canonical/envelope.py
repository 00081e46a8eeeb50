"""Canonical payloads in the hub's envelope: ``to_envelope`` writes one, ``from_envelope`` reads.

``read_payload`` reads a payload the caller has already validated (the hub's ingest has, by
then); ``from_envelope`` validates first, for adapters and anyone else. The two tables below
are the only place that knows every payload type; a new type is one dataclass module plus
one line in each table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree

import schemas
from schemas import TranslationError
from schemas.canonical import assessment, closure, exchange, implementation, plan, referral
from schemas.canonical.assessment import CaseDecision, ConsentRecord, SurveyAct
from schemas.canonical.closure import CaseClosure, DeliveryReceipt
from schemas.canonical.common import SCHEMA_VERSION, Reader, curator_version
from schemas.canonical.exchange import InformationRequest, InformationResponse
from schemas.canonical.implementation import ActionStatusUpdate, PeriodicReport
from schemas.canonical.plan import ActionAssignment, SupportPlan
from schemas.canonical.referral import FamilyReferral, ReferralReceipt

__all__ = ["CanonicalMessage", "Payload", "from_envelope", "read_payload", "to_envelope"]

Payload = (
    FamilyReferral
    | ReferralReceipt
    | SurveyAct
    | ConsentRecord
    | CaseDecision
    | SupportPlan
    | ActionAssignment
    | ActionStatusUpdate
    | InformationRequest
    | InformationResponse
    | PeriodicReport
    | CaseClosure
    | DeliveryReceipt
)


@dataclass(frozen=True)
class CanonicalMessage:
    """A canonical message as an adapter reads it: the envelope header and the typed payload."""

    header: schemas.EnvelopeHeader
    payload: Payload


_PAYLOAD_WRITERS: dict[type, Callable[[Any], etree._Element]] = {
    FamilyReferral: referral.write_family_referral,
    ReferralReceipt: referral.write_referral_receipt,
    SurveyAct: assessment.write_survey_act,
    ConsentRecord: assessment.write_consent_record,
    CaseDecision: assessment.write_case_decision,
    SupportPlan: plan.write_support_plan,
    ActionAssignment: plan.write_action_assignment,
    ActionStatusUpdate: implementation.write_action_status_update,
    InformationRequest: exchange.write_information_request,
    InformationResponse: exchange.write_information_response,
    PeriodicReport: implementation.write_periodic_report,
    CaseClosure: closure.write_case_closure,
    DeliveryReceipt: closure.write_delivery_receipt,
}

_PAYLOAD_READERS: dict[str, Callable[[Reader], Payload]] = {
    "FamilyReferral": referral.read_family_referral,
    "ReferralReceipt": referral.read_referral_receipt,
    "SurveyAct": assessment.read_survey_act,
    "ConsentRecord": assessment.read_consent_record,
    "CaseDecision": assessment.read_case_decision,
    "SupportPlan": plan.read_support_plan,
    "ActionAssignment": plan.read_action_assignment,
    "ActionStatusUpdate": implementation.read_action_status_update,
    "InformationRequest": exchange.read_information_request,
    "InformationResponse": exchange.read_information_response,
    "PeriodicReport": implementation.read_periodic_report,
    "CaseClosure": closure.read_case_closure,
    "DeliveryReceipt": closure.read_delivery_receipt,
}


def _schema_version(payload: Payload) -> str:
    if isinstance(payload, FamilyReferral):
        return referral.referral_version(payload)
    if isinstance(payload, ReferralReceipt | CaseDecision | SupportPlan):
        return curator_version(payload.curator)
    if isinstance(payload, DeliveryReceipt):
        return closure.delivery_receipt_version(payload)
    return SCHEMA_VERSION


def to_envelope(
    payload: Payload,
    *,
    message_id: str,
    sender: str,
    organisation: str,
    created_at: datetime,
    priority: str,
    law: str,
    case_ref: str | None = None,
    correlation_id: str | None = None,
    consent_ref: str | None = None,
    recipients: Sequence[str] = (),
) -> etree._Element:
    """Return the unsigned envelope carrying ``payload``; recipients empty = routing decides.

    SchemaVersion is the oldest version that carries every field set: a FamilyReferral is
    1.1 only when it has a ``preferred_language``, a ReferralReceipt, CaseDecision or
    SupportPlan only when its curator has a ``staff_id``, a DeliveryReceipt only when it is
    the hub's ``not_delivered``, so 1.0 readers keep reading the rest.
    """
    header = schemas.EnvelopeHeader(
        message_id=message_id,
        message_type=type(payload).__name__,
        schema_version=_schema_version(payload),
        sender=sender,
        sender_organisation=organisation,
        recipients=tuple(recipients),
        created_at=created_at,
        priority=priority,
        case_ref=case_ref,
        correlation_id=correlation_id,
        law=law,
        consent_ref=consent_ref,
    )
    return schemas.build_envelope(header, _PAYLOAD_WRITERS[type(payload)](payload))


def from_envelope(envelope: etree._Element) -> CanonicalMessage:
    """Read the header and the typed payload of an envelope (signed or not).

    The envelope and payload are validated against their XSDs first.

    Raises:
        TranslationError: not a valid envelope, a message type or version this model does
            not read, or a payload that does not validate (``field`` names the part).
    """
    try:
        # Readers rely on the XSD's shape; a partner gets nothing it could misread.
        schemas.validate_envelope(envelope)
        header = schemas.read_header(envelope)
    except schemas.SchemaError as exc:
        raise TranslationError("Envelope", f"not a valid envelope: {type(exc).__name__}") from exc
    reader = _reader_for(header)
    try:
        schemas.validate_payload(envelope, header)
    except schemas.SchemaError as exc:
        raise TranslationError(header.message_type, f"invalid payload: {exc}") from exc
    element = schemas.payload_of(envelope)
    return CanonicalMessage(header=header, payload=reader(Reader(element, header.message_type)))


def read_payload(header: schemas.EnvelopeHeader, payload: etree._Element) -> Payload:
    """Read the typed payload of a message whose envelope and payload passed their XSDs.

    Not validated again: the caller vouches for it (the hub's ingest validated both before
    it asks), which saves a second validation on the hub's hot path. On anything else
    use ``from_envelope``.

    Raises:
        TranslationError: a message type or major version this model does not read.
    """
    return _reader_for(header)(Reader(payload, header.message_type))


def _reader_for(header: schemas.EnvelopeHeader) -> Callable[[Reader], Payload]:
    reader = _PAYLOAD_READERS.get(header.message_type)
    if reader is None:
        raise TranslationError("MessageType", f"{header.message_type} is not supported")
    if header.schema_version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise TranslationError("SchemaVersion", f"{header.schema_version} is not supported")
    return reader
