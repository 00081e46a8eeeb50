"""The health systems' FHIR R4 resources ⇄ canonical messages.

Hospitals, perinatal centres and narcology services speak FHIR R4 JSON (validated with the
R4B models of ``fhir.resources``, see ``adapters.health.fhir``). Pure functions: the caller
passes the MessageId and ``now``; people and organisations travel as contained resources
(``adapters.health.contained``).

Inbound (``to_canonical``: what a health system sends to the hub):

- ``ServiceRequest`` → FamilyReferral (a doctor's signal, e.g. a mother intending to abandon a
  newborn: ``priority`` urgent, ``reasonCode`` newborn_at_risk). ``identifier[0].value`` =
  ReferralId, ``authoredOn`` = DetectedAt, ``requester`` → PractitionerRole of the doctor and
  their organisation, ``subject`` → the index child's Patient (holding the family address),
  other contained Patients = the other children, RelatedPersons = the adults, Observations
  about a child = its HealthNote [health], ``reasonCode`` (system ``…:referral-reason``,
  ``text`` = details), ``note`` = Circumstances, ``category`` (``…:source-channel``, absent =
  ``hospital``), extension ``…:attachments-ref``. ``priority`` urgent|asap|stat → urgent,
  routine (or absent) → routine.
- ``Task`` → ActionStatusUpdate: identifier ``…:action-id`` = ActionId, ``basedOn`` a CarePlan
  identified by ``…:plan-id`` = PlanId, ``lastModified`` = StatusAt, ``owner`` → the executing
  organisation (or its specialist's PractitionerRole), ``executionPeriod`` = Period (dates),
  ``note`` = Comment, ``output`` typed ``…:task-output|evidence`` = EvidenceRef.
- ``Communication`` (``completed``) → InformationResponse: ``basedOn`` a CommunicationRequest
  identified by ``…:information-request-id`` = RequestId, ``sent`` = RespondedAt, ``sender``
  → Organization. Each ``payload.contentString`` is HealthInformation [health] unless its
  extension ``…:information-class`` says ``social`` (Answer) or ``conduct``
  (ConductInformation); a ``contentAttachment.title`` is AttachmentsRef.

Task.status ⇄ ActionStatusUpdate Status:

==================  ================  =====================================================
Task.status         canonical         back to FHIR
==================  ================  =====================================================
requested           assigned          requested
accepted            accepted          accepted
in-progress         in_progress       in-progress
completed           done              completed
rejected, failed    cannot_execute    rejected
(any active) + businessStatus ``…:action-status|overdue``  overdue   in-progress + overdue
==================  ================  =====================================================

``draft``, ``received``, ``ready``, ``on-hold``, ``cancelled`` and ``entered-in-error`` have no
canonical status and are refused; ``overdue`` on a completed, rejected or failed Task too.

Outbound (``from_canonical``: what the hub delivers): FamilyReferral → ServiceRequest and
ActionStatusUpdate → Task and InformationResponse → Communication (the inverse of the above);
ActionAssignment → Task (``requested``, ``description`` = Measure, ``code`` = HelpType,
``restriction.period.end`` = Deadline); SupportPlan → transaction Bundle of a CarePlan (every
action line as an activity) and one Task per action whose ResponsibleAgency is ``health``
(conditional PUTs on their identifiers, so a revision updates them); InformationRequest →
CommunicationRequest; CaseDecision, CaseClosure, ReferralReceipt and DeliveryReceipt → a
notice Communication (``category`` ``…:notice|<MessageType>``, one ``payload`` line per field).
Every outbound resource carries the complex extension ``…:envelope`` (messageId, messageType,
sender, senderOrganisation, createdAt, priority, caseRef, correlationId); an inbound Task or
Communication answers one with ``caseRef`` and ``correlationId`` (= the messageId it answers).
Not carried to FHIR: a child's Institution (the health systems keep no school data).
The outbound resources are built in ``adapters.health.outbound``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from lxml import etree

from adapters.health.contained import (
    Contained,
    read_address,
    read_adult,
    read_child,
    read_party,
)
from adapters.health.fhir import (
    DEFAULT_SOURCE,
    EVIDENCE,
    EXT_ATTACHMENTS,
    EXT_ENVELOPE,
    EXT_INFORMATION_CLASS,
    OVERDUE,
    SYS_ACTION,
    SYS_ACTION_STATUS,
    SYS_PLAN,
    SYS_REASON,
    SYS_REQUEST,
    SYS_SOURCE,
    SYS_TASK_OUTPUT,
    SYSTEM_CODE,
    Element,
    validated,
)
from adapters.health.outbound import to_fhir
from schemas import TranslationError
from schemas import canonical as c

__all__ = [
    "INBOUND_TYPES",
    "LAW",
    "SENDER",
    "TASK_STATUSES",
    "from_canonical",
    "message_id_for",
    "to_canonical",
]

SENDER: Final = SYSTEM_CODE
#: Health organisations report families at risk under the prevention law, and may disclose
#: medical data without consent to prevent harm under the health protection law.
LAW: Final = (
    "Федеральный закон от 24.06.1999 № 120-ФЗ, ст. 9; "
    "Федеральный закон от 21.11.2011 № 323-ФЗ, ст. 13 ч. 4"
)
#: The resource types a health system sends to the hub.
INBOUND_TYPES: Final = ("ServiceRequest", "Task", "Communication")
#: uuid5 namespace of referral MessageIds: one referral identifier, one MessageId.
_REFERRAL_NAMESPACE: Final = uuid.UUID("0b7d0b36-5f0e-5a43-a3a6-51c2f0f4d2e1")

#: Task.status → canonical ActionStatusUpdate Status (``overdue`` comes from businessStatus).
TASK_STATUSES: Final = {
    "requested": "assigned",
    "accepted": "accepted",
    "in-progress": "in_progress",
    "completed": "done",
    "rejected": "cannot_execute",
    "failed": "cannot_execute",
}
#: The Task statuses an action can still become overdue in.
_ACTIVE_TASK_STATUSES: Final = frozenset({"requested", "accepted", "in-progress"})
_PRIORITIES: Final = {"routine": "routine", "urgent": "urgent", "asap": "urgent", "stat": "urgent"}
_REASONS: Final = {
    code: code
    for code in (
        "neglect",
        "violence",
        "alcohol",
        "drugs",
        "school_absence",
        "newborn_at_risk",
        "poverty",
        "housing",
        "conflict",
        "abandonment_risk",
        "other",
    )
}
_SOURCES: Final = {
    code: code
    for code in (
        "visit",
        "school_absence",
        "hospital",
        "employment_centre",
        "neighbours",
        "hotline",
        "other",
    )
}
_INFORMATION_CLASSES: Final = {"social": "social", "conduct": "conduct"}


def message_id_for(referral_id: str) -> str:
    """The MessageId of a referral: the same identifier always gives the same MessageId."""
    return str(uuid.uuid5(_REFERRAL_NAMESPACE, referral_id))


# FHIR → canonical


def to_canonical(resource: object, *, message_id: str, now: datetime) -> etree._Element:
    """Translate a ServiceRequest, Task or Communication into an unsigned canonical envelope.

    Raises:
        TranslationError: another resource type, a resource the R4B model refuses, or an
            element missing, malformed or with an unknown code (``field`` is its FHIRPath).
    """
    data = validated(resource, INBOUND_TYPES)
    kind = str(data["resourceType"])
    root = Element(data, kind)
    contained = Contained(root)
    payload: c.FamilyReferral | c.ActionStatusUpdate | c.InformationResponse
    if kind == "ServiceRequest":
        payload = _read_referral(root, contained)
        priority = payload.urgency
    elif kind == "Task":
        payload = _read_status_update(root, contained)
        priority = root.optional_code("priority", _PRIORITIES) or "routine"
    else:
        payload = _read_response(root, contained)
        priority = root.optional_code("priority", _PRIORITIES) or "routine"
    answered = _read_answered(root)
    return c.to_envelope(
        payload,
        message_id=message_id,
        sender=SENDER,
        organisation=payload.organisation.name,
        created_at=now,
        priority=priority,
        law=LAW,
        case_ref=answered.get("caseRef"),
        correlation_id=answered.get("correlationId"),
    )


def _read_answered(root: Element) -> dict[str, str]:
    """caseRef and correlationId of the ``…:envelope`` extension (what the resource answers)."""
    extension = root.extension(EXT_ENVELOPE)
    if extension is None:
        return {}
    facts = {}
    for part in extension.elements("extension"):
        key = part.text("url")
        if key in ("caseRef", "correlationId"):
            facts[key] = part.text("valueString")
    return facts


def _identifier(root: Element, key: str, system: str) -> str | None:
    """The value of the first identifier of ``system`` under ``key`` (Reference.identifier for
    ``basedOn``, the resource's own identifiers for ``identifier``)."""
    for item in root.elements(key, required=False):
        identifier = item if key == "identifier" else item.optional_obj("identifier")
        if identifier is not None and identifier.raw("system") == system:
            return identifier.text("value")
    return None


def _required_identifier(root: Element, key: str, system: str) -> str:
    value = _identifier(root, key, system)
    if value is None:
        raise TranslationError(root.path(key), f"no identifier of {system}")
    return value


def _notes(root: Element) -> str | None:
    notes = [note.text("text") for note in root.elements("note", required=False)]
    return "\n\n".join(notes) if notes else None


def _read_referral(root: Element, contained: Contained) -> c.FamilyReferral:
    root.code("status", {"active": "active"})
    organisation, specialist = read_party(contained, root.obj("requester"))
    if specialist is None:
        raise TranslationError(root.path("requester"), "not a PractitionerRole of the doctor")
    subject = contained.resolve(root.obj("subject"), "Patient")
    children = [subject] + [
        patient
        for patient in contained.of_type("Patient")
        if patient.raw("id") != subject.raw("id")
    ]
    for observation in contained.of_type("Observation"):
        # A health note must be about one of the children, not lost on the way.
        contained.resolve(observation.obj("subject"), "Patient")
    reasons: list[c.Reason] = []
    for concept in root.elements("reasonCode", required=False):
        coding = concept.coding(SYS_REASON)
        if coding is None:
            raise TranslationError(concept.path("coding"), f"no {SYS_REASON} coding")
        reason = c.Reason(code=coding.code("code", _REASONS), details=concept.optional_text("text"))
        if any(seen.code == reason.code for seen in reasons):
            raise TranslationError(coding.path("code"), "repeated code")
        reasons.append(reason)
    category = root.optional_first("category")
    source = None if category is None else category.coding(SYS_SOURCE)
    attachments = root.extension(EXT_ATTACHMENTS)
    return c.FamilyReferral(
        referral_id=root.first("identifier").text("value"),
        detected_at=root.timestamp("authoredOn"),
        organisation=organisation,
        specialist=specialist,
        source=DEFAULT_SOURCE if source is None else source.code("code", _SOURCES),
        address=read_address(subject),
        children=tuple(read_child(contained, child) for child in children),
        urgency=root.optional_code("priority", _PRIORITIES) or "routine",
        reasons=tuple(reasons),
        circumstances=_notes(root),
        adults=tuple(read_adult(person) for person in contained.of_type("RelatedPerson")),
        attachments_ref=None if attachments is None else attachments.text("valueString"),
    )


def _read_task_status(root: Element) -> str:
    status = root.text("status")
    if status not in TASK_STATUSES:
        raise TranslationError(root.path("status"), f"Task status {status!r} has no action status")
    business = root.optional_obj("businessStatus")
    overdue = None if business is None else business.coding(SYS_ACTION_STATUS)
    if overdue is None:
        return TASK_STATUSES[status]
    overdue.code("code", {OVERDUE: OVERDUE})
    if status not in _ACTIVE_TASK_STATUSES:
        raise TranslationError(root.path("businessStatus"), f"overdue on a {status} Task")
    return OVERDUE


def _read_status_update(root: Element, contained: Contained) -> c.ActionStatusUpdate:
    organisation, specialist = read_party(contained, root.obj("owner"))
    period = root.optional_obj("executionPeriod")
    evidence = None
    for output in root.elements("output", required=False):
        kind = output.obj("type").coding(SYS_TASK_OUTPUT)
        if kind is not None and kind.raw("code") == EVIDENCE:
            evidence = output.text("valueString")
    return c.ActionStatusUpdate(
        action_id=_required_identifier(root, "identifier", SYS_ACTION),
        plan_id=_identifier(root, "basedOn", SYS_PLAN),
        status=_read_task_status(root),
        status_at=root.timestamp("lastModified"),
        organisation=organisation,
        specialist=specialist,
        period=None
        if period is None
        else c.Period(start=period.date("start"), end=period.optional_date("end")),
        comment=_notes(root),
        evidence_ref=evidence,
    )


def _read_response(root: Element, contained: Contained) -> c.InformationResponse:
    root.code("status", {"completed": "completed"})
    organisation, _specialist = read_party(contained, root.obj("sender"))
    texts: dict[str, str] = {}
    attachments = None
    for item in root.elements("payload", required=False):
        if item.has("contentAttachment"):
            attachments = item.obj("contentAttachment").text("title")
            continue
        marked = item.extension(EXT_INFORMATION_CLASS)
        kind = "health" if marked is None else marked.code("valueCode", _INFORMATION_CLASSES)
        if kind in texts:
            raise TranslationError(item.path("extension"), f"a second {kind} text")
        texts[kind] = item.text("contentString")
    return c.InformationResponse(
        request_id=_required_identifier(root, "basedOn", SYS_REQUEST),
        responded_at=root.timestamp("sent"),
        organisation=organisation,
        answer=texts.get("social"),
        health_information=texts.get("health"),
        conduct_information=texts.get("conduct"),
        attachments_ref=attachments,
    )


# Canonical → FHIR


def from_canonical(envelope: etree._Element, *, hospital: str = SYSTEM_CODE) -> dict[str, object]:
    """Translate a canonical message into the FHIR resource (or Bundle) the health system
    ``hospital`` takes (the agency's own, or a hospital's own partner code).

    Raises:
        TranslationError: a message type with no FHIR form here, or a malformed payload.
    """
    resource = to_fhir(c.from_envelope(envelope), hospital=hospital)
    return validated(resource, (str(resource["resourceType"]),))
