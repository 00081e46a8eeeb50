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
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final
from urllib.parse import urlencode

from lxml import etree

import schemas
from adapters import canonical as c
from adapters.errors import TranslationError
from adapters.health.contained import (
    Contained,
    adult_resource,
    child_resources,
    human_name,
    party_resources,
    read_address,
    read_adult,
    read_child,
    read_party,
)
from adapters.health.fhir import (
    EXT_ATTACHMENTS,
    EXT_ENVELOPE,
    EXT_INFORMATION_CLASS,
    EXT_PLAN_VERSION,
    SYS_ACTION,
    SYS_ACTION_STATUS,
    SYS_CASE,
    SYS_HELP_TYPE,
    SYS_NOTICE,
    SYS_PLAN,
    SYS_REASON,
    SYS_REFERRAL,
    SYS_REQUEST,
    SYS_SOURCE,
    SYS_SUBJECT,
    SYS_TASK_OUTPUT,
    Element,
    validated,
)
from adapters.native import compact

__all__ = [
    "INBOUND_TYPES",
    "LAW",
    "SENDER",
    "TASK_STATUSES",
    "from_canonical",
    "message_id_for",
    "to_canonical",
]

SENDER: Final = "health"
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
_TASK_STATUSES_BACK: Final = {
    "assigned": "requested",
    "accepted": "accepted",
    "in_progress": "in-progress",
    "done": "completed",
    "cannot_execute": "rejected",
    "overdue": "in-progress",
}
#: The Task statuses an action can still become overdue in.
_ACTIVE_TASK_STATUSES: Final = frozenset({"requested", "accepted", "in-progress"})
_OVERDUE: Final = "overdue"
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
#: A health system's referrals come from a hospital unless ``category`` says otherwise.
_DEFAULT_SOURCE: Final = "hospital"
#: ServiceRequest.code of every referral to the social support services.
REFERRAL_CODE: Final = {"text": "Направление на социальное сопровождение семьи"}
_INFORMATION_CLASSES: Final = {"social": "social", "conduct": "conduct"}
_EVIDENCE: Final = "evidence"


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
        source=_DEFAULT_SOURCE if source is None else source.code("code", _SOURCES),
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
    overdue.code("code", {_OVERDUE: _OVERDUE})
    if status not in _ACTIVE_TASK_STATUSES:
        raise TranslationError(root.path("businessStatus"), f"overdue on a {status} Task")
    return _OVERDUE


def _read_status_update(root: Element, contained: Contained) -> c.ActionStatusUpdate:
    organisation, specialist = read_party(contained, root.obj("owner"))
    period = root.optional_obj("executionPeriod")
    evidence = None
    for output in root.elements("output", required=False):
        kind = output.obj("type").coding(SYS_TASK_OUTPUT)
        if kind is not None and kind.raw("code") == _EVIDENCE:
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


def from_canonical(envelope: etree._Element) -> dict[str, object]:
    """Translate a canonical message into the FHIR resource (or Bundle) the health system takes.

    Raises:
        TranslationError: a message type with no FHIR form here, or a malformed payload.
    """
    message = c.from_envelope(envelope)
    header = message.header
    payload = message.payload
    resource: dict[str, object]
    if isinstance(payload, c.FamilyReferral):
        resource = _service_request(payload)
    elif isinstance(payload, c.ActionStatusUpdate):
        resource = _status_task(payload, header)
    elif isinstance(payload, c.InformationResponse):
        resource = _response_communication(payload, header)
    elif isinstance(payload, c.ActionAssignment):
        resource = _assignment_task(payload, header)
    elif isinstance(payload, c.SupportPlan):
        resource = _plan_bundle(payload, header)
    elif isinstance(payload, c.InformationRequest):
        resource = _communication_request(payload, header)
    elif isinstance(payload, Notice):
        resource = _notice(payload, header)
    else:
        raise TranslationError(
            "MessageType", f"{header.message_type} has no FHIR form at the health systems"
        )
    if resource["resourceType"] != "Bundle":
        resource["extension"] = [*_list(resource.get("extension")), _envelope_extension(header)]
    return validated(resource, (str(resource["resourceType"]),))


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _envelope_extension(header: schemas.EnvelopeHeader) -> dict[str, object]:
    """The hub's envelope facts, so the health system can answer with caseRef/correlationId."""
    facts = compact(
        {
            "messageId": header.message_id,
            "messageType": header.message_type,
            "sender": header.sender,
            "senderOrganisation": header.sender_organisation,
            "priority": header.priority,
            "caseRef": header.case_ref,
            "correlationId": header.correlation_id,
        }
    )
    parts: list[dict[str, object]] = [
        {"url": key, "valueString": str(value)} for key, value in facts.items()
    ]
    parts.append({"url": "createdAt", "valueDateTime": header.created_at.isoformat()})
    return {"url": EXT_ENVELOPE, "extension": parts}


def _priority(header: schemas.EnvelopeHeader) -> str:
    return "urgent" if header.priority == "urgent" else "routine"


def _note(text: str | None) -> list[dict[str, object]] | None:
    return None if text is None else [{"text": text}]


def _coded(system: str, code: str, text: str | None = None) -> dict[str, object]:
    return compact({"coding": [{"system": system, "code": code}], "text": text})


def _service_request(referral: c.FamilyReferral) -> dict[str, object]:
    party, requester = party_resources(referral.organisation, referral.specialist)
    people: list[dict[str, object]] = []
    for number, child in enumerate(referral.children, start=1):
        people += child_resources(number, child, referral.address if number == 1 else None)
    people += [
        adult_resource(number, adult, "child-1")
        for number, adult in enumerate(referral.adults, start=1)
    ]
    return compact(
        {
            "resourceType": "ServiceRequest",
            "contained": party + people,
            "extension": None
            if referral.attachments_ref is None
            else [{"url": EXT_ATTACHMENTS, "valueString": referral.attachments_ref}],
            "identifier": [{"system": SYS_REFERRAL, "value": referral.referral_id}],
            "status": "active",
            "intent": "order",
            "category": None
            if referral.source == _DEFAULT_SOURCE
            else [_coded(SYS_SOURCE, referral.source)],
            "priority": referral.urgency,
            "code": REFERRAL_CODE,
            "subject": {"reference": "#child-1"},
            "authoredOn": referral.detected_at.isoformat(),
            "requester": requester,
            "reasonCode": [
                _coded(SYS_REASON, reason.code, reason.details) for reason in referral.reasons
            ]
            or None,
            # Every contained person is referenced from the request (FHIR dom-3).
            "supportingInfo": [{"reference": f"#{person['id']}"} for person in people[1:]] or None,
            "note": _note(referral.circumstances),
        }
    )


def _plan_reference(plan_id: str | None, full_url: str | None = None) -> list[object] | None:
    if plan_id is None:
        return None
    return [
        compact(
            {
                "reference": full_url,
                "type": "CarePlan",
                "identifier": {"system": SYS_PLAN, "value": plan_id},
            }
        )
    ]


def _status_task(update: c.ActionStatusUpdate, header: schemas.EnvelopeHeader) -> dict[str, object]:
    contained, owner = party_resources(update.organisation, update.specialist)
    period = update.period
    return compact(
        {
            "resourceType": "Task",
            "contained": contained,
            "identifier": [{"system": SYS_ACTION, "value": update.action_id}],
            "basedOn": _plan_reference(update.plan_id),
            "status": _TASK_STATUSES_BACK[update.status],
            "businessStatus": _coded(SYS_ACTION_STATUS, _OVERDUE)
            if update.status == _OVERDUE
            else None,
            "intent": "order",
            "priority": _priority(header),
            "lastModified": update.status_at.isoformat(),
            "owner": owner,
            "executionPeriod": None
            if period is None
            else compact(
                {
                    "start": period.start.isoformat(),
                    "end": None if period.end is None else period.end.isoformat(),
                }
            ),
            "note": _note(update.comment),
            "output": None
            if update.evidence_ref is None
            else [
                {
                    "type": _coded(SYS_TASK_OUTPUT, _EVIDENCE),
                    "valueString": update.evidence_ref,
                }
            ],
        }
    )


def _response_communication(
    response: c.InformationResponse, header: schemas.EnvelopeHeader
) -> dict[str, object]:
    contained, sender = party_resources(response.organisation, None)
    payload: list[dict[str, object]] = []
    if response.health_information is not None:
        payload.append({"contentString": response.health_information})
    for kind, text in (("social", response.answer), ("conduct", response.conduct_information)):
        if text is not None:
            payload.append(
                {
                    "extension": [{"url": EXT_INFORMATION_CLASS, "valueCode": kind}],
                    "contentString": text,
                }
            )
    if response.attachments_ref is not None:
        payload.append({"contentAttachment": {"title": response.attachments_ref}})
    return compact(
        {
            "resourceType": "Communication",
            "contained": contained,
            "basedOn": [
                {
                    "type": "CommunicationRequest",
                    "identifier": {"system": SYS_REQUEST, "value": response.request_id},
                }
            ],
            "status": "completed",
            "priority": _priority(header),
            "sent": response.responded_at.isoformat(),
            "sender": sender,
            "payload": payload or None,
        }
    )


def _action_task(
    *,
    header: schemas.EnvelopeHeader,
    plan_id: str,
    plan_version: int,
    action_id: str,
    measure: str,
    help_type: str,
    deadline: str,
    organisation: c.Organisation | None,
    specialist: c.Specialist | None,
    note: str | None,
    plan_url: str | None = None,
) -> dict[str, object]:
    """A Task asking the health system to carry out one action of a support plan."""
    contained, owner = party_resources(organisation, specialist)
    return compact(
        {
            "resourceType": "Task",
            "contained": contained or None,
            "extension": [{"url": EXT_PLAN_VERSION, "valuePositiveInt": plan_version}],
            "identifier": [{"system": SYS_ACTION, "value": action_id}],
            "basedOn": _plan_reference(plan_id, plan_url),
            "groupIdentifier": None
            if header.case_ref is None
            else {"system": SYS_CASE, "value": header.case_ref},
            "status": "requested",
            "intent": "order",
            "priority": _priority(header),
            "code": _coded(SYS_HELP_TYPE, help_type),
            "description": measure,
            "authoredOn": header.created_at.isoformat(),
            "owner": owner,
            "restriction": {"period": {"end": deadline}},
            "note": _note(note),
        }
    )


def _assignment_task(
    assignment: c.ActionAssignment, header: schemas.EnvelopeHeader
) -> dict[str, object]:
    return _action_task(
        header=header,
        plan_id=assignment.plan_id,
        plan_version=assignment.plan_version,
        action_id=assignment.action_id,
        measure=assignment.measure,
        help_type=assignment.help_type,
        deadline=assignment.deadline.isoformat(),
        organisation=None,
        specialist=assignment.specialist,
        note=assignment.comment,
    )


def _conditional_put(resource_type: str, system: str, value: str) -> dict[str, object]:
    # A conditional update: a redelivered or revised plan updates the same resources.
    return {
        "method": "PUT",
        "url": f"{resource_type}?{urlencode({'identifier': f'{system}|{value}'})}",
    }


def _plan_bundle(plan: c.SupportPlan, header: schemas.EnvelopeHeader) -> dict[str, object]:
    namespace = uuid.UUID(header.message_id)
    plan_url = f"urn:uuid:{uuid.uuid5(namespace, 'CarePlan')}"
    tasks: list[dict[str, object]] = []
    activities: list[dict[str, object]] = []
    for action in plan.actions:
        if action.responsible_agency == SENDER:
            task_url = f"urn:uuid:{uuid.uuid5(namespace, f'Task/{action.action_id}')}"
            task = _action_task(
                header=header,
                plan_id=plan.plan_id,
                plan_version=plan.version,
                action_id=action.action_id,
                measure=action.measure,
                help_type=action.help_type,
                deadline=action.deadline.isoformat(),
                organisation=action.responsible_organisation,
                specialist=action.specialist,
                note=action.notes,
                plan_url=plan_url,
            )
            task["extension"] = [*_list(task.get("extension")), _envelope_extension(header)]
            tasks.append(
                {
                    "fullUrl": task_url,
                    "resource": task,
                    "request": _conditional_put("Task", SYS_ACTION, action.action_id),
                }
            )
            activities.append({"reference": {"reference": task_url}})
            continue
        organisation = action.responsible_organisation
        activities.append(
            {
                "detail": compact(
                    {
                        "kind": "Task",
                        "code": _coded(SYS_HELP_TYPE, action.help_type),
                        "status": "not-started",
                        "description": action.measure,
                        "scheduledPeriod": {"end": action.deadline.isoformat()},
                        "performer": [
                            {
                                "display": action.responsible_agency
                                if organisation is None
                                else organisation.name
                            }
                        ],
                    }
                )
            }
        )
    curator, author = party_resources(None, plan.curator)
    period = plan.period
    care_plan = compact(
        {
            "resourceType": "CarePlan",
            "contained": curator,
            "extension": [
                {"url": EXT_PLAN_VERSION, "valuePositiveInt": plan.version},
                _envelope_extension(header),
            ],
            "identifier": [{"system": SYS_PLAN, "value": plan.plan_id}],
            "status": "active",
            "intent": "plan",
            "title": "Индивидуальная программа социального сопровождения семьи",
            "description": plan.goals,
            # The family lives in the hub's case, not in the hospital's patient index.
            "subject": compact(
                {
                    "identifier": None
                    if header.case_ref is None
                    else {"system": SYS_CASE, "value": header.case_ref},
                    "display": "Семья, находящаяся на сопровождении",
                }
            ),
            "period": compact(
                {
                    "start": period.start.isoformat(),
                    "end": None if period.end is None else period.end.isoformat(),
                }
            ),
            "created": plan.approved_at.isoformat(),
            "author": author,
            "activity": activities,
            "note": _note(None if plan.approved_by is None else f"Утверждён: {plan.approved_by}"),
        }
    )
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": plan_url,
                "resource": care_plan,
                "request": _conditional_put("CarePlan", SYS_PLAN, plan.plan_id),
            },
            *tasks,
        ],
    }


def _communication_request(
    request: c.InformationRequest, header: schemas.EnvelopeHeader
) -> dict[str, object]:
    person = request.person
    contained = (
        None
        if person is None
        else [
            compact(
                {
                    "resourceType": "Patient",
                    "id": "person",
                    "name": [human_name(person.name)],
                    "birthDate": None
                    if person.birth_date is None
                    else person.birth_date.isoformat(),
                }
            )
        ]
    )
    return compact(
        {
            "resourceType": "CommunicationRequest",
            "contained": contained,
            "identifier": [{"system": SYS_REQUEST, "value": request.request_id}],
            "status": "active",
            "category": [_coded(SYS_SUBJECT, request.subject)],
            "priority": _priority(header),
            "subject": None if person is None else {"reference": "#person"},
            "payload": [{"contentString": request.questions}],
            "occurrenceDateTime": request.due_by.isoformat(),
            "authoredOn": request.requested_at.isoformat(),
            "requester": {"display": header.sender_organisation},
            "reasonCode": [{"text": request.purpose}],
        }
    )


#: Titles of the notices, by message type (Communication.topic and category display).
_NOTICE_TITLES: Final = {
    "CaseDecision": "Решение по семье",
    "CaseClosure": "Снятие семьи с учёта",
    "ReferralReceipt": "Ответ на направление",
    "DeliveryReceipt": "Квитанция о доставке",
}

Notice = c.CaseDecision | c.CaseClosure | c.ReferralReceipt | c.DeliveryReceipt


def _person(person: c.Specialist) -> str:
    name = person.name
    parts = [" ".join(p for p in (name.last, name.first, name.middle) if p)]
    return ", ".join(parts + [p for p in (person.position, person.phone) if p])


def _period(period: c.Period) -> str:
    end = "" if period.end is None else f" по {period.end.isoformat()}"
    return f"с {period.start.isoformat()}{end}"


def _notice_lines(notice: Notice) -> tuple[datetime, list[tuple[str, str | None]]]:
    """When the notice's fact happened, and its fields as (label, value) lines."""
    if isinstance(notice, c.CaseDecision):
        return notice.decided_at, [
            ("Орган", notice.decision_body.name),
            ("Решение", notice.outcome),
            ("Категория", notice.category),
            ("Уровень риска", notice.risk_level),
            ("Куратор", None if notice.curator is None else _person(notice.curator)),
            (
                "Организация куратора",
                None if notice.curator_organisation is None else notice.curator_organisation.name,
            ),
            ("Протокол", notice.protocol_ref),
            ("Основания", notice.grounds),
        ]
    if isinstance(notice, c.CaseClosure):
        return notice.closed_at, [
            ("Причина", notice.reason),
            ("Орган", None if notice.decision_body is None else notice.decision_body.name),
            (
                "Постсопровождение",
                None if notice.post_support is None else _period(notice.post_support),
            ),
            ("Комментарий", notice.comment),
        ]
    if isinstance(notice, c.ReferralReceipt):
        return notice.received_at, [
            ("Результат", notice.outcome),
            ("Регистрационный номер", notice.registration_number),
            ("Организация", notice.organisation.name),
            ("Куратор", None if notice.curator is None else _person(notice.curator)),
            ("Комментарий", notice.comment),
        ]
    return notice.at, [
        ("Сообщение", notice.delivered_message_id),
        ("Получатель", notice.recipient),
        ("Результат", notice.outcome),
        ("Номер у получателя", notice.remote_reference),
        ("Причина", notice.reason),
    ]


def _notice(notice: Notice, header: schemas.EnvelopeHeader) -> dict[str, object]:
    """A Communication the health system files as a notice for the doctor who is involved."""
    title = _NOTICE_TITLES[header.message_type]
    sent, lines = _notice_lines(notice)
    return {
        "resourceType": "Communication",
        "status": "completed",
        "category": [
            {"coding": [{"system": SYS_NOTICE, "code": header.message_type, "display": title}]}
        ],
        "priority": _priority(header),
        "sent": sent.isoformat(),
        "sender": {"display": header.sender_organisation},
        "topic": {"text": title},
        "payload": [
            {"contentString": f"{label}: {value}"} for label, value in lines if value is not None
        ],
    }
