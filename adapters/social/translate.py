"""The social service centre's REST events ⇄ canonical messages, for the whole case lifecycle.

The centre is the case owner (the curator's system). Each canonical type it sends or receives
is one event kind, with the same JSON shape both ways (inbound events add ``hub``, the
envelope facts). Codes are the canonical ones: the centre's registry was built for the hub.
People, organisations and periods are written as in ``records``; a ``curator`` also carries
the centre's ``staff_id`` for them (then the message goes as version 1.1). Pure functions: the
caller passes the MessageId and ``now``.

Envelope keys of every event: ``case_ref``, ``urgent`` (only ``true``), ``consent_ref``,
``recipients`` (explicit system codes). The answer to a message names it: the first two events
by ``referral_message_id`` (required), the others by ``in_reply_to`` (optional).

Events (``to_canonical`` takes all but the last two; ``from_canonical`` returns all)::

    referral.registered    → ReferralReceipt  outcome, registration_number, registered_at,
                             centre, curator, comment
    action.status_changed  → ActionStatusUpdate  action_id, plan_id, status, changed_at,
                             executor, specialist, period, comment, evidence_ref
    survey.completed       → SurveyAct  survey_number, surveyed_at, centre, specialists[],
                             address, children_seen[], housing, findings,
                             health_observations, risk_level, needs_support, recommendations
    consent.recorded       → ConsentRecord  organisation, consent_number, status, scopes[],
                             recorded_at, given_by, given_by_role, document_ref, valid_until
    case.decided           → CaseDecision  organisation, decision_number, decided_at,
                             decision_body {kind, name}, outcome, category, risk_level,
                             curator, curator_organisation, protocol_ref, grounds
    plan.approved          → SupportPlan  organisation, plan_number, version, period,
                             approved_at, approved_by, curator, goals, actions[]
                             {action_id, measure, help_type, agency, executor_code?,
                              executor, specialist, deadline, notes}
    action.assigned        → ActionAssignment  organisation, plan_number, plan_version,
                             action_id, measure, help_type, agency, executor_code?,
                             deadline, specialist, comment
    information.requested  → InformationRequest  organisation, request_number, requested_at,
                             subject, person {…, birth_date}, questions, purpose, due_by
    information.provided   → InformationResponse  request_number, responded_at, executor,
                             answer, health_information, conduct_information,
                             attachments_ref
    report.submitted       → PeriodicReport  report_number, period, executor, plan_number,
                             actions[] {action_id, status, summary}, summary, next_steps
    case.closed            → CaseClosure  organisation, closed_at, reason, decision_body,
                             post_support, comment
    referral.received      ← FamilyReferral  {"referral": {...}}
    delivery.receipt       ← DeliveryReceipt

``organisation`` is the sending organisation's name where the payload names none; inbound,
it is the envelope's Sender organisation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Final

from lxml import etree

import schemas
from adapters.native import Fields, compact, envelope_facts
from adapters.social import records as r
from schemas import TranslationError
from schemas import canonical as c

__all__ = ["EVENTS", "LAW", "SENDER", "from_canonical", "to_canonical"]

SENDER: Final = "social"
#: Social services act on the social services law and the prevention law.
LAW: Final = "Федеральный закон от 28.12.2013 № 442-ФЗ; Федеральный закон от 24.06.1999 № 120-ФЗ"


def _codes(*values: str) -> dict[str, str]:
    return {v: v for v in values}


_OUTCOMES: Final = _codes("registered", "forwarded", "rejected_not_competent")
_STATUSES: Final = _codes(
    "assigned", "accepted", "in_progress", "done", "cannot_execute", "overdue"
)
_RISK_LEVELS: Final = _codes("low", "medium", "high", "critical")
_CONSENT_STATUSES: Final = _codes("given", "refused", "withdrawn")
_SCOPES: Final = _codes("support", "data_processing", "data_exchange", "medical")
_ROLES: Final = _codes("mother", "father", "guardian", "other")
_DECISION_OUTCOMES: Final = _codes("recognised", "not_recognised", "deferred")
_CATEGORIES: Final = _codes("tjs", "sop")
_HELP_TYPES: Final = _codes(
    "social", "psychological", "pedagogical", "medical", "legal", "employment", "other"
)
_AGENCIES: Final = _codes("social", "kdn", "health", "education", "police", "employment")
_SUBJECTS: Final = _codes("family", "child", "adult")
_CLOSURE_REASONS: Final = _codes(
    "goals_achieved", "moved_away", "came_of_age", "early_termination", "refusal"
)

#: A reader: the record (for raw integers) and its fields → the payload and the sending
#: organisation's name.
_Reader = Callable[[Mapping[str, object], Fields], tuple[c.Payload, str]]


# Native → canonical, one reader per event


def _registered(_record: Mapping[str, object], fields: Fields) -> tuple[c.Payload, str]:
    receipt = c.ReferralReceipt(
        referral_message_id=fields.text("referral_message_id"),
        outcome=fields.code("outcome", _OUTCOMES),
        registration_number=fields.optional_text("registration_number"),
        received_at=fields.timestamp("registered_at"),
        organisation=r.organisation(fields.obj("centre")),
        curator=r.optional_curator(fields.optional_obj("curator")),
        comment=fields.optional_text("comment"),
    )
    return receipt, receipt.organisation.name


def _status_changed(_record: Mapping[str, object], fields: Fields) -> tuple[c.Payload, str]:
    period = fields.optional_obj("period")
    update = c.ActionStatusUpdate(
        action_id=fields.text("action_id"),
        plan_id=fields.optional_text("plan_id"),
        status=fields.code("status", _STATUSES),
        status_at=fields.timestamp("changed_at"),
        organisation=r.organisation(fields.obj("executor")),
        specialist=r.optional_specialist(fields.optional_obj("specialist")),
        period=None if period is None else r.period(period),
        comment=fields.optional_text("comment"),
        evidence_ref=fields.optional_text("evidence_ref"),
    )
    return update, update.organisation.name


def _survey(_record: Mapping[str, object], fields: Fields) -> tuple[c.Payload, str]:
    address = fields.optional_obj("address")
    act = c.SurveyAct(
        survey_id=fields.text("survey_number"),
        surveyed_at=fields.timestamp("surveyed_at"),
        organisation=r.organisation(fields.obj("centre")),
        specialists=tuple(r.specialist(s) for s in fields.objects("specialists")),
        address=None if address is None else r.address(address),
        children_seen=tuple(r.child(ch) for ch in fields.objects("children_seen", required=False)),
        housing_conditions=fields.optional_text("housing"),
        findings=fields.optional_text("findings"),
        health_observations=fields.optional_text("health_observations"),
        risk_level=fields.code("risk_level", _RISK_LEVELS),
        needs_support=fields.flag("needs_support"),
        recommendations=fields.optional_text("recommendations"),
    )
    return act, act.organisation.name


def _consent(_record: Mapping[str, object], fields: Fields) -> tuple[c.Payload, str]:
    given_by = fields.optional_obj("given_by")
    consent = c.ConsentRecord(
        consent_id=fields.text("consent_number"),
        status=fields.code("status", _CONSENT_STATUSES),
        scopes=tuple(fields.codes("scopes", _SCOPES)),
        recorded_at=fields.timestamp("recorded_at"),
        given_by=None if given_by is None else r.name(given_by),
        given_by_role=fields.optional_code("given_by_role", _ROLES),
        document_ref=fields.optional_text("document_ref"),
        valid_until=fields.optional_date("valid_until"),
    )
    return consent, fields.text("organisation")


def _decided(_record: Mapping[str, object], fields: Fields) -> tuple[c.Payload, str]:
    curator_organisation = fields.optional_obj("curator_organisation")
    decision = c.CaseDecision(
        decision_id=fields.text("decision_number"),
        decided_at=fields.timestamp("decided_at"),
        decision_body=r.decision_body(fields.obj("decision_body")),
        outcome=fields.code("outcome", _DECISION_OUTCOMES),
        category=fields.optional_code("category", _CATEGORIES),
        risk_level=fields.optional_code("risk_level", _RISK_LEVELS),
        curator=r.optional_curator(fields.optional_obj("curator")),
        curator_organisation=None
        if curator_organisation is None
        else r.organisation(curator_organisation),
        protocol_ref=fields.optional_text("protocol_ref"),
        grounds=fields.optional_text("grounds"),
    )
    return decision, fields.text("organisation")


def _executor(fields: Fields) -> str:
    """Who executes an action line: the organisation the centre names by its hub code
    (``executor_code``: a region's hospital registered under health), else the agency."""
    agency = fields.code("agency", _AGENCIES)
    return fields.optional_text("executor_code") or agency


def _plan_action(fields: Fields) -> c.PlanAction:
    executor = fields.optional_obj("executor")
    return c.PlanAction(
        action_id=fields.text("action_id"),
        measure=fields.text("measure"),
        help_type=fields.code("help_type", _HELP_TYPES),
        responsible_agency=_executor(fields),
        responsible_organisation=None if executor is None else r.organisation(executor),
        specialist=r.optional_specialist(fields.optional_obj("specialist")),
        deadline=fields.date("deadline"),
        notes=fields.optional_text("notes"),
    )


def _plan(record: Mapping[str, object], fields: Fields) -> tuple[c.Payload, str]:
    r.refuse_repeated_actions(fields.objects("actions"))
    plan = c.SupportPlan(
        plan_id=fields.text("plan_number"),
        version=r.positive_integer(record, fields, "version"),
        period=r.period(fields.obj("period")),
        approved_at=fields.timestamp("approved_at"),
        approved_by=fields.optional_text("approved_by"),
        curator=r.curator(fields.obj("curator")),
        goals=fields.optional_text("goals"),
        actions=tuple(_plan_action(a) for a in fields.objects("actions")),
    )
    return plan, fields.text("organisation")


def _assigned(record: Mapping[str, object], fields: Fields) -> tuple[c.Payload, str]:
    assignment = c.ActionAssignment(
        plan_id=fields.text("plan_number"),
        plan_version=r.positive_integer(record, fields, "plan_version"),
        action_id=fields.text("action_id"),
        measure=fields.text("measure"),
        help_type=fields.code("help_type", _HELP_TYPES),
        responsible_agency=_executor(fields),
        deadline=fields.date("deadline"),
        specialist=r.optional_specialist(fields.optional_obj("specialist")),
        comment=fields.optional_text("comment"),
    )
    return assignment, fields.text("organisation")


def _requested(_record: Mapping[str, object], fields: Fields) -> tuple[c.Payload, str]:
    person = fields.optional_obj("person")
    request = c.InformationRequest(
        request_id=fields.text("request_number"),
        requested_at=fields.timestamp("requested_at"),
        subject=fields.code("subject", _SUBJECTS),
        person=None
        if person is None
        else c.RequestedPerson(name=r.name(person), birth_date=person.optional_date("birth_date")),
        questions=fields.text("questions"),
        purpose=fields.text("purpose"),
        due_by=fields.date("due_by"),
    )
    return request, fields.text("organisation")


def _provided(_record: Mapping[str, object], fields: Fields) -> tuple[c.Payload, str]:
    response = c.InformationResponse(
        request_id=fields.text("request_number"),
        responded_at=fields.timestamp("responded_at"),
        organisation=r.organisation(fields.obj("executor")),
        answer=fields.optional_text("answer"),
        health_information=fields.optional_text("health_information"),
        conduct_information=fields.optional_text("conduct_information"),
        attachments_ref=fields.optional_text("attachments_ref"),
    )
    return response, response.organisation.name


def _reported(_record: Mapping[str, object], fields: Fields) -> tuple[c.Payload, str]:
    r.refuse_repeated_actions(fields.objects("actions", required=False))
    report = c.PeriodicReport(
        report_id=fields.text("report_number"),
        period=r.period(fields.obj("period")),
        organisation=r.organisation(fields.obj("executor")),
        plan_id=fields.text("plan_number"),
        actions=tuple(
            c.ActionReport(
                action_id=a.text("action_id"),
                status=a.code("status", _STATUSES),
                summary=a.optional_text("summary"),
            )
            for a in fields.objects("actions", required=False)
        ),
        summary=fields.optional_text("summary"),
        next_steps=fields.optional_text("next_steps"),
    )
    return report, report.organisation.name


def _closed(_record: Mapping[str, object], fields: Fields) -> tuple[c.Payload, str]:
    body = fields.optional_obj("decision_body")
    post_support = fields.optional_obj("post_support")
    closure = c.CaseClosure(
        closed_at=fields.timestamp("closed_at"),
        reason=fields.code("reason", _CLOSURE_REASONS),
        decision_body=None if body is None else r.decision_body(body),
        post_support=None if post_support is None else r.period(post_support),
        comment=fields.optional_text("comment"),
    )
    return closure, fields.text("organisation")


_READERS: Final[dict[str, _Reader]] = {
    "referral.registered": _registered,
    "action.status_changed": _status_changed,
    "survey.completed": _survey,
    "consent.recorded": _consent,
    "case.decided": _decided,
    "plan.approved": _plan,
    "action.assigned": _assigned,
    "information.requested": _requested,
    "information.provided": _provided,
    "report.submitted": _reported,
    "case.closed": _closed,
}
#: The events that answer a referral and name it as ``referral_message_id``.
_REFERRAL_ANSWERS: Final = frozenset({"referral.registered", "action.status_changed"})
#: Every event the centre sends, for its control API and the docs.
EVENTS: Final = tuple(_READERS)


def to_canonical(record: object, *, message_id: str, now: datetime) -> etree._Element:
    """Translate an outbound centre event into an unsigned canonical envelope.

    Raises:
        TranslationError: unknown ``event``, or a field missing, malformed or unknown.
    """
    fields = Fields(record)
    assert isinstance(record, Mapping)  # Fields refuses anything else
    event = fields.text("event")
    reader = _READERS.get(event)
    if reader is None:
        raise TranslationError(fields.path("event"), f"unknown event {event!r}")
    payload, organisation = reader(record, fields)
    if event in _REFERRAL_ANSWERS:
        correlation_id: str | None = fields.text("referral_message_id")
    else:
        correlation_id = fields.optional_text("in_reply_to")
    return c.to_envelope(
        payload,
        message_id=message_id,
        sender=SENDER,
        organisation=organisation,
        created_at=now,
        priority="urgent" if fields.has("urgent") and fields.flag("urgent") else "routine",
        law=LAW,
        case_ref=fields.optional_text("case_ref"),
        correlation_id=correlation_id,
        consent_ref=fields.optional_text("consent_ref"),
        recipients=fields.codes("recipients", _AGENCIES) if fields.has("recipients") else (),
    )


# Canonical → native


def from_canonical(envelope: etree._Element) -> dict[str, object]:
    """Translate a canonical message into the centre's inbound webhook event.

    Raises:
        TranslationError: an unsupported message type or a malformed payload.
    """
    message = c.from_envelope(envelope)
    header = message.header
    payload = message.payload
    if isinstance(payload, c.FamilyReferral):
        return {
            "event": "referral.received",
            "hub": envelope_facts(header),
            "referral": _referral_record(payload),
        }
    if isinstance(payload, c.DeliveryReceipt):
        return {"event": "delivery.receipt", "hub": envelope_facts(header), **_receipt(payload)}
    event, body = _event_record(payload, header)
    if event in _REFERRAL_ANSWERS:
        # The first events repeat the referral they answer, so the registry needs no envelope.
        facts: dict[str, object] = {"referral_message_id": header.correlation_id}
    else:
        facts = {
            "in_reply_to": header.correlation_id,
            "consent_ref": header.consent_ref,
            "recipients": list(header.recipients) or None,
        }
    return {
        "event": event,
        "hub": envelope_facts(header),
        **compact(
            {
                **facts,
                "case_ref": header.case_ref,
                "urgent": True if header.priority == "urgent" else None,
            }
        ),
        **compact(body),
    }


def _event_record(
    payload: c.Payload, header: schemas.EnvelopeHeader
) -> tuple[str, dict[str, object]]:
    """The event name and fields of ``payload`` (any type but referral and delivery receipt)."""
    sender = header.sender_organisation
    if isinstance(payload, c.ReferralReceipt):
        return "referral.registered", {
            "outcome": payload.outcome,
            "registration_number": payload.registration_number,
            "registered_at": payload.received_at.isoformat(),
            "centre": r.organisation_record(payload.organisation),
            "curator": r.optional_person_record(payload.curator),
            "comment": payload.comment,
        }
    if isinstance(payload, c.ActionStatusUpdate):
        return "action.status_changed", {
            "action_id": payload.action_id,
            "plan_id": payload.plan_id,
            "status": payload.status,
            "changed_at": payload.status_at.isoformat(),
            "executor": r.organisation_record(payload.organisation),
            "specialist": r.optional_person_record(payload.specialist),
            "period": None if payload.period is None else r.period_record(payload.period),
            "comment": payload.comment,
            "evidence_ref": payload.evidence_ref,
        }
    if isinstance(payload, c.SurveyAct):
        return "survey.completed", {
            "survey_number": payload.survey_id,
            "surveyed_at": payload.surveyed_at.isoformat(),
            "centre": r.organisation_record(payload.organisation),
            "specialists": [r.optional_person_record(s) for s in payload.specialists],
            "address": None if payload.address is None else r.address_record(payload.address),
            "children_seen": [r.child_record(ch) for ch in payload.children_seen] or None,
            "housing": payload.housing_conditions,
            "findings": payload.findings,
            "health_observations": payload.health_observations,
            "risk_level": payload.risk_level,
            "needs_support": payload.needs_support,
            "recommendations": payload.recommendations,
        }
    if isinstance(payload, c.ConsentRecord):
        return "consent.recorded", {
            "organisation": sender,
            "consent_number": payload.consent_id,
            "status": payload.status,
            "scopes": list(payload.scopes),
            "recorded_at": payload.recorded_at.isoformat(),
            "given_by": None if payload.given_by is None else r.name_record(payload.given_by),
            "given_by_role": payload.given_by_role,
            "document_ref": payload.document_ref,
            "valid_until": None if payload.valid_until is None else payload.valid_until.isoformat(),
        }
    if isinstance(payload, c.CaseDecision):
        return "case.decided", {
            "organisation": sender,
            "decision_number": payload.decision_id,
            "decided_at": payload.decided_at.isoformat(),
            "decision_body": r.decision_body_record(payload.decision_body),
            "outcome": payload.outcome,
            "category": payload.category,
            "risk_level": payload.risk_level,
            "curator": r.optional_person_record(payload.curator),
            "curator_organisation": None
            if payload.curator_organisation is None
            else r.organisation_record(payload.curator_organisation),
            "protocol_ref": payload.protocol_ref,
            "grounds": payload.grounds,
        }
    if isinstance(payload, c.SupportPlan):
        return "plan.approved", {
            "organisation": sender,
            "plan_number": payload.plan_id,
            "version": payload.version,
            "period": r.period_record(payload.period),
            "approved_at": payload.approved_at.isoformat(),
            "approved_by": payload.approved_by,
            "curator": r.optional_person_record(payload.curator),
            "goals": payload.goals,
            "actions": [_plan_action_record(a) for a in payload.actions],
        }
    if isinstance(payload, c.ActionAssignment):
        return "action.assigned", {
            "organisation": sender,
            "plan_number": payload.plan_id,
            "plan_version": payload.plan_version,
            "action_id": payload.action_id,
            "measure": payload.measure,
            "help_type": payload.help_type,
            "agency": payload.responsible_agency,
            "deadline": payload.deadline.isoformat(),
            "specialist": r.optional_person_record(payload.specialist),
            "comment": payload.comment,
        }
    if isinstance(payload, c.InformationRequest):
        person = payload.person
        return "information.requested", {
            "organisation": sender,
            "request_number": payload.request_id,
            "requested_at": payload.requested_at.isoformat(),
            "subject": payload.subject,
            "person": None
            if person is None
            else compact(
                {
                    **r.name_record(person.name),
                    "birth_date": None
                    if person.birth_date is None
                    else person.birth_date.isoformat(),
                }
            ),
            "questions": payload.questions,
            "purpose": payload.purpose,
            "due_by": payload.due_by.isoformat(),
        }
    if isinstance(payload, c.InformationResponse):
        return "information.provided", {
            "request_number": payload.request_id,
            "responded_at": payload.responded_at.isoformat(),
            "executor": r.organisation_record(payload.organisation),
            "answer": payload.answer,
            "health_information": payload.health_information,
            "conduct_information": payload.conduct_information,
            "attachments_ref": payload.attachments_ref,
        }
    if isinstance(payload, c.PeriodicReport):
        return "report.submitted", {
            "report_number": payload.report_id,
            "period": r.period_record(payload.period),
            "executor": r.organisation_record(payload.organisation),
            "plan_number": payload.plan_id,
            "actions": [
                compact({"action_id": a.action_id, "status": a.status, "summary": a.summary})
                for a in payload.actions
            ]
            or None,
            "summary": payload.summary,
            "next_steps": payload.next_steps,
        }
    if isinstance(payload, c.CaseClosure):
        return "case.closed", {
            "organisation": sender,
            "closed_at": payload.closed_at.isoformat(),
            "reason": payload.reason,
            "decision_body": None
            if payload.decision_body is None
            else r.decision_body_record(payload.decision_body),
            "post_support": None
            if payload.post_support is None
            else r.period_record(payload.post_support),
            "comment": payload.comment,
        }
    raise TranslationError("MessageType", f"the centre has no event for {header.message_type}")


def _plan_action_record(action: c.PlanAction) -> dict[str, object]:
    return compact(
        {
            "action_id": action.action_id,
            "measure": action.measure,
            "help_type": action.help_type,
            "agency": action.responsible_agency,
            "executor": None
            if action.responsible_organisation is None
            else r.organisation_record(action.responsible_organisation),
            "specialist": r.optional_person_record(action.specialist),
            "deadline": action.deadline.isoformat(),
            "notes": action.notes,
        }
    )


def _receipt(payload: c.DeliveryReceipt) -> dict[str, object]:
    return compact(
        {
            "delivered_message_id": payload.delivered_message_id,
            "recipient": payload.recipient,
            "outcome": payload.outcome,
            "at": payload.at.isoformat(),
            "remote_reference": payload.remote_reference,
            "reason": payload.reason,
        }
    )


def _referral_record(referral: c.FamilyReferral) -> dict[str, object]:
    return compact(
        {
            "external_number": referral.referral_id,
            "detected_at": referral.detected_at.isoformat(),
            "source_agency": r.organisation_record(referral.organisation),
            "reporter": r.optional_person_record(referral.specialist),
            "channel": referral.source,
            "family": {
                "address": r.address_record(referral.address),
                "adults": [
                    compact(
                        {
                            **r.name_record(adult.name),
                            "birth_date": adult.birth_date.isoformat(),
                            "role": adult.role,
                            "phone": adult.phone,
                        }
                    )
                    for adult in referral.adults
                ],
                "children": [r.child_record(child) for child in referral.children],
            },
            "problems": [
                compact({"code": reason.code, "comment": reason.details})
                for reason in referral.reasons
            ],
            "urgent": referral.urgency == "urgent",
            "description": referral.circumstances,
            "attachments_ref": referral.attachments_ref,
        }
    )
