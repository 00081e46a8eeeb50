"""Canonical messages as the FHIR R4 resources a health system takes (the hub's side).

``to_fhir`` is the whole outbound mapping that ``translate.from_canonical`` applies; the
element-by-element profile is in ``translate``'s docstring. Every resource carries the
``…:envelope`` extension with the hub's envelope facts, so the system can answer with the
case and the MessageId it answers. Pure: ids (fullUrls) derive from the MessageId.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final
from urllib.parse import urlencode

import schemas
from adapters.health.contained import (
    adult_resource,
    child_resources,
    human_name,
    party_resources,
)
from adapters.health.fhir import (
    DEFAULT_SOURCE,
    EVIDENCE,
    EXT_ATTACHMENTS,
    EXT_ENVELOPE,
    EXT_INFORMATION_CLASS,
    EXT_PLAN_VERSION,
    OVERDUE,
    REFERRAL_CODE,
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
    SYSTEM_CODE,
)
from adapters.native import compact
from schemas import TranslationError
from schemas import canonical as c

__all__ = ["TASK_STATUSES_BACK", "to_fhir"]

#: Canonical ActionStatusUpdate Status → Task.status (overdue adds a businessStatus).
TASK_STATUSES_BACK: Final = {
    "assigned": "requested",
    "accepted": "accepted",
    "in_progress": "in-progress",
    "done": "completed",
    "cannot_execute": "rejected",
    "overdue": "in-progress",
}


def to_fhir(message: c.CanonicalMessage, *, hospital: str = SYSTEM_CODE) -> dict[str, object]:
    """The FHIR resource (or transaction Bundle) carrying ``message``, not yet validated.

    ``hospital`` is the recipient: the health agency's own system, or a hospital
    registered under it (``health-crb-2``), whose Tasks are the plan's actions named for it.

    Raises:
        TranslationError: a message type with no FHIR form at the health systems.
    """
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
        resource = _plan_bundle(payload, header, hospital)
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
    return resource


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
            if referral.source == DEFAULT_SOURCE
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
            "status": TASK_STATUSES_BACK[update.status],
            "businessStatus": _coded(SYS_ACTION_STATUS, OVERDUE)
            if update.status == OVERDUE
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
                    "type": _coded(SYS_TASK_OUTPUT, EVIDENCE),
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


def _plan_bundle(
    plan: c.SupportPlan, header: schemas.EnvelopeHeader, hospital: str
) -> dict[str, object]:
    namespace = uuid.UUID(header.message_id)
    plan_url = f"urn:uuid:{uuid.uuid5(namespace, 'CarePlan')}"
    tasks: list[dict[str, object]] = []
    activities: list[dict[str, object]] = []
    for action in plan.actions:
        if action.responsible_agency == hospital:
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
