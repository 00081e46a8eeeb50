"""The employment centre's (центр занятости) JSON records ⇄ canonical messages.

The centre's system keeps job seekers, the services it gives them (vocational training, job
placement, unemployment benefit) and its correspondence. It signals families: a parent
registered as unemployed whose children live in hardship becomes a FamilyReferral (reason
``poverty``, source ``employment_centre``). It reports on the actions a support plan gives it
and answers information requests. It receives its own plan lines as ``assigned_actions``,
information requests and closure notices. Every record names its ``kind``; codes are the
centre's Russian wording. Pure functions: the caller passes the MessageId and ``now``.

Records the centre sends (``to_canonical``), and gets back the same from ``from_canonical``::

    {"kind": "referral", "referral_number", "registered_at", "urgent",
     "centre": {"name", "department"}, "counsellor": {"surname", "name", "patronymic",
     "position", "phone"}, "applicant": {…, "birth_date", "kinship", "phone"},
     "family_members": [<as applicant>], "address": {"region", "district", "city", "street",
     "house", "flat", "note"}, "children": [{…, "birth_date", "sex": "М" | "Ж"}],
     "hardship": [{"code": "малоимущность", "details"}], "circumstances"}
    {"kind": "action_status", "case_ref", "assignment_message_id", "plan_id", "action_id",
     "status": "принято к исполнению", "changed_at", "centre", "counsellor",
     "service_period": {"from", "to"}, "note", "document"}
    {"kind": "periodic_report", "case_ref", "report_number", "period", "centre", "plan_id",
     "measures": [{"action_id", "status", "result"}], "summary", "next_steps"}
    {"kind": "information_response", "case_ref", "request_message_id", "request_number",
     "answered_at", "centre", "answer", "attachments_ref"}

Records the centre gets (``from_canonical`` only; all carry ``hub``, the envelope facts)::

    {"kind": "assigned_actions", "case_ref", "plan_id", "plan_version", "curator",
     "approved_by", "period", "actions": [{"action_id", "measure", "service", "deadline",
     "specialist", "notes"}]}                         ← SupportPlan (its own lines only)
                                                      ← ActionAssignment (one line)
    {"kind": "information_request", "case_ref", "request_number", "requested_at",
     "subject", "person", "questions", "purpose", "due_by"}
    {"kind": "closure_notice", "case_ref", "closed_at", "reason", "decision_body",
     "post_support", "comment"}
    {"kind": "referral_receipt" | "case_decision" | "delivery_receipt", …}
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from lxml import etree

from adapters.native import Fields, compact, envelope_facts, request_record
from schemas import TranslationError
from schemas import canonical as c

__all__ = ["HARDSHIP", "LAW", "SENDER", "STATUSES", "from_canonical", "to_canonical"]

SENDER: Final = "employment"
#: The employment law (its article on job seekers) and the prevention law's article 9.
LAW: Final = (
    "Федеральный закон от 12.12.2023 № 565-ФЗ «О занятости населения в Российской Федерации»; "
    "Федеральный закон от 24.06.1999 № 120-ФЗ, ст. 9"
)

#: The centre's hardship codes → canonical ReasonCode (one to one).
HARDSHIP: Final = {
    "малоимущность": "poverty",
    "жилищные условия": "housing",
    "злоупотребление алкоголем": "alcohol",
    "конфликт в семье": "conflict",
    "ненадлежащий уход за детьми": "neglect",
    "иное": "other",
}
#: The centre's status wording → canonical ActionStatus.
STATUSES: Final = {
    "назначено": "assigned",
    "принято к исполнению": "accepted",
    "исполняется": "in_progress",
    "исполнено": "done",
    "исполнение невозможно": "cannot_execute",
    "просрочено": "overdue",
}
_KINSHIP: Final = {"мать": "mother", "отец": "father", "опекун": "guardian", "иное": "other"}
_SEX: Final = {"М": "male", "Ж": "female"}
_SERVICES: Final = {
    "employment": "содействие занятости",
    "social": "социальная помощь",
    "psychological": "психологическая помощь",
    "pedagogical": "педагогическая помощь",
    "medical": "медицинская помощь",
    "legal": "правовая помощь",
    "other": "иное",
}
_CLOSURE_REASONS: Final = {
    "goals_achieved": "цели сопровождения достигнуты",
    "moved_away": "смена места жительства",
    "came_of_age": "достижение ребёнком совершеннолетия",
    "early_termination": "досрочное прекращение",
    "refusal": "отказ семьи от сопровождения",
}
_RECEIPT_OUTCOMES: Final = {
    "registered": "зарегистрировано",
    "forwarded": "передано по подведомственности",
    "rejected_not_competent": "не относится к компетенции",
}
_DECISION_OUTCOMES: Final = {
    "recognised": "семья признана нуждающейся в сопровождении",
    "not_recognised": "семья не признана нуждающейся в сопровождении",
    "deferred": "рассмотрение отложено",
}
_CATEGORIES: Final = {"sop": "СОП", "tjs": "ТЖС"}


# Native → canonical


def to_canonical(record: object, *, message_id: str, now: datetime) -> etree._Element:
    """Translate a record the centre sends into an unsigned canonical envelope.

    Raises:
        TranslationError: unknown ``kind``, or a field missing, malformed or unknown.
    """
    fields = Fields(record)
    kind = fields.text("kind")
    payload: c.Payload
    priority = "routine"
    correlation_id: str | None = None
    if kind == "referral":
        payload = _referral(fields)
        priority = payload.urgency
    elif kind == "action_status":
        payload = _action_status(fields)
        correlation_id = fields.optional_text("assignment_message_id")
    elif kind == "periodic_report":
        payload = _periodic_report(fields)
    elif kind == "information_response":
        payload = c.InformationResponse(
            request_id=fields.text("request_number"),
            responded_at=fields.timestamp("answered_at"),
            organisation=_organisation(fields.obj("centre")),
            answer=fields.text("answer"),
            attachments_ref=fields.optional_text("attachments_ref"),
        )
        correlation_id = fields.text("request_message_id")
    else:
        raise TranslationError(fields.path("kind"), f"unknown kind {kind!r}")
    return c.to_envelope(
        payload,
        message_id=message_id,
        sender=SENDER,
        organisation=fields.obj("centre").text("name"),
        created_at=now,
        priority=priority,
        law=LAW,
        case_ref=fields.optional_text("case_ref"),
        correlation_id=correlation_id,
    )


def _name(fields: Fields) -> c.PersonName:
    return c.PersonName(
        last=fields.text("surname"),
        first=fields.text("name"),
        middle=fields.optional_text("patronymic"),
    )


def _organisation(fields: Fields) -> c.Organisation:
    return c.Organisation(name=fields.text("name"), department=fields.optional_text("department"))


def _specialist(fields: Fields) -> c.Specialist:
    return c.Specialist(
        name=_name(fields),
        position=fields.optional_text("position"),
        phone=fields.optional_text("phone"),
    )


def _period(fields: Fields) -> c.Period:
    return c.Period(start=fields.date("from"), end=fields.optional_date("to"))


def _adult(fields: Fields) -> c.Adult:
    return c.Adult(
        name=_name(fields),
        birth_date=fields.date("birth_date"),
        role=fields.code("kinship", _KINSHIP),
        phone=fields.optional_text("phone"),
    )


def _referral(fields: Fields) -> c.FamilyReferral:
    address = fields.obj("address")
    urgent = fields.has("urgent") and fields.flag("urgent")
    return c.FamilyReferral(
        referral_id=fields.text("referral_number"),
        detected_at=fields.timestamp("registered_at"),
        organisation=_organisation(fields.obj("centre")),
        specialist=_specialist(fields.obj("counsellor")),
        source="employment_centre",
        address=c.Address(
            region=address.text("region"),
            district=address.optional_text("district"),
            locality=address.text("city"),
            street=address.text("street"),
            house=address.text("house"),
            flat=address.optional_text("flat"),
            details=address.optional_text("note"),
        ),
        adults=(
            _adult(fields.obj("applicant")),
            *(_adult(m) for m in fields.objects("family_members", required=False)),
        ),
        children=tuple(
            c.Child(
                name=_name(child),
                birth_date=child.date("birth_date"),
                sex=child.optional_code("sex", _SEX),
            )
            for child in fields.objects("children")
        ),
        reasons=_reasons(fields),
        urgency="urgent" if urgent else "routine",
        circumstances=fields.optional_text("circumstances"),
    )


def _reasons(fields: Fields) -> tuple[c.Reason, ...]:
    reasons: list[c.Reason] = []
    for item in fields.objects("hardship"):
        reason = c.Reason(code=item.code("code", HARDSHIP), details=item.optional_text("details"))
        if any(r.code == reason.code for r in reasons):
            raise TranslationError(item.path("code"), "repeated code")
        reasons.append(reason)
    return tuple(reasons)


def _action_status(fields: Fields) -> c.ActionStatusUpdate:
    period = fields.optional_obj("service_period")
    counsellor = fields.optional_obj("counsellor")
    return c.ActionStatusUpdate(
        action_id=fields.text("action_id"),
        plan_id=fields.optional_text("plan_id"),
        status=fields.code("status", STATUSES),
        status_at=fields.timestamp("changed_at"),
        organisation=_organisation(fields.obj("centre")),
        specialist=None if counsellor is None else _specialist(counsellor),
        period=None if period is None else _period(period),
        comment=fields.optional_text("note"),
        evidence_ref=fields.optional_text("document"),
    )


def _periodic_report(fields: Fields) -> c.PeriodicReport:
    _refuse_repeats(fields.objects("measures", required=False))
    return c.PeriodicReport(
        report_id=fields.text("report_number"),
        period=_period(fields.obj("period")),
        organisation=_organisation(fields.obj("centre")),
        plan_id=fields.text("plan_id"),
        actions=tuple(
            c.ActionReport(
                action_id=m.text("action_id"),
                status=m.code("status", STATUSES),
                summary=m.optional_text("result"),
            )
            for m in fields.objects("measures", required=False)
        ),
        summary=fields.optional_text("summary"),
        next_steps=fields.optional_text("next_steps"),
    )


def _refuse_repeats(items: list[Fields]) -> None:
    """Each action once per report: a second line for one action is a typing error."""
    seen: set[str] = set()
    for item in items:
        # Compared as the XSD compares tokens: runs of white space count as one space.
        action_id = " ".join(item.text("action_id").split())
        if action_id in seen:
            raise TranslationError(item.path("action_id"), "repeated action")
        seen.add(action_id)


# Canonical → native


def from_canonical(envelope: etree._Element, centre: str = SENDER) -> dict[str, object]:
    """Translate a canonical message into the record the centre ``centre`` takes: the
    agency's own system, or a district centre registered under it (``empl-district-2``),
    whose plan record holds the actions named for it.

    Raises:
        TranslationError: a message type the centre keeps no record of, a plan without a
            line for the centre, or a malformed payload.
    """
    message = c.from_envelope(envelope)
    header = message.header
    payload = message.payload
    if type(payload) not in _WRITERS:
        raise TranslationError(
            "MessageType", f"the employment centre keeps no record of {header.message_type}"
        )
    kind, write = _WRITERS[type(payload)]
    facts: dict[str, object] = {"case_ref": header.case_ref}
    if kind == "action_status":
        facts["assignment_message_id"] = header.correlation_id
    elif kind == "information_response":
        facts["request_message_id"] = header.correlation_id
    elif kind == "referral" and header.priority == "urgent":
        facts["urgent"] = True
    record = _plan_record(payload, centre) if isinstance(payload, c.SupportPlan) else write(payload)
    return {"kind": kind, "hub": envelope_facts(header), **compact(facts), **record}


def _name_record(name: c.PersonName) -> dict[str, object]:
    return {"surname": name.last, "name": name.first, "patronymic": name.middle}


def _person_record(person: c.Specialist | None) -> dict[str, object] | None:
    if person is None:
        return None
    return compact(
        {**_name_record(person.name), "position": person.position, "phone": person.phone}
    )


def _organisation_record(org: c.Organisation) -> dict[str, object]:
    return compact({"name": org.name, "department": org.department})


def _period_record(period: c.Period | None) -> dict[str, object] | None:
    if period is None:
        return None
    return compact(
        {
            "from": period.start.isoformat(),
            "to": None if period.end is None else period.end.isoformat(),
        }
    )


def _native(table: dict[str, str], value: str, field: str) -> str:
    for native, canonical in table.items():
        if canonical == value:
            return native
    raise TranslationError(field, f"no employment centre code for {value!r}")


def _adult_record(adult: c.Adult) -> dict[str, object]:
    return compact(
        {
            **_name_record(adult.name),
            "birth_date": adult.birth_date.isoformat(),
            "kinship": _native(_KINSHIP, adult.role, "Role"),
            "phone": adult.phone,
        }
    )


def _referral_record(referral: c.FamilyReferral) -> dict[str, object]:
    if not referral.adults:
        raise TranslationError("Adults", "the centre files a referral under an applicant")
    address = referral.address
    return compact(
        {
            "referral_number": referral.referral_id,
            "registered_at": referral.detected_at.isoformat(),
            "centre": _organisation_record(referral.organisation),
            "counsellor": _person_record(referral.specialist),
            "applicant": _adult_record(referral.adults[0]),
            "family_members": [_adult_record(a) for a in referral.adults[1:]] or None,
            "address": compact(
                {
                    "region": address.region,
                    "district": address.district,
                    "city": address.locality,
                    "street": address.street,
                    "house": address.house,
                    "flat": address.flat,
                    "note": address.details,
                }
            ),
            "children": [
                compact(
                    {
                        **_name_record(child.name),
                        "birth_date": child.birth_date.isoformat(),
                        "sex": None if child.sex is None else _native(_SEX, child.sex, "Sex"),
                    }
                )
                for child in referral.children
            ],
            # A minimised copy (no conduct class) has no reasons: the record then has none.
            "hardship": [
                compact({"code": _native(HARDSHIP, r.code, "Reason"), "details": r.details})
                for r in referral.reasons
            ]
            or None,
            "circumstances": referral.circumstances,
        }
    )


def _assigned_line(
    action_id: str,
    measure: str,
    help_type: str,
    deadline: str,
    specialist: c.Specialist | None,
    notes: str | None,
) -> dict[str, object]:
    return compact(
        {
            "action_id": action_id,
            "measure": measure,
            "service": _SERVICES.get(help_type, help_type),
            "deadline": deadline,
            "specialist": _person_record(specialist),
            "notes": notes,
        }
    )


def _plan_record(plan: c.SupportPlan, centre: str = SENDER) -> dict[str, object]:
    lines = [
        _assigned_line(
            a.action_id, a.measure, a.help_type, a.deadline.isoformat(), a.specialist, a.notes
        )
        for a in plan.actions
        if a.responsible_agency == centre
    ]
    if not lines:
        raise TranslationError("Actions", f"no action of the plan is {centre}'s")
    return compact(
        {
            "plan_id": plan.plan_id,
            "plan_version": plan.version,
            "curator": _person_record(plan.curator),
            "approved_by": plan.approved_by,
            "period": _period_record(plan.period),
            "actions": lines,
        }
    )


def _assignment_record(assignment: c.ActionAssignment) -> dict[str, object]:
    return {
        "plan_id": assignment.plan_id,
        "plan_version": assignment.plan_version,
        "actions": [
            _assigned_line(
                assignment.action_id,
                assignment.measure,
                assignment.help_type,
                assignment.deadline.isoformat(),
                assignment.specialist,
                assignment.comment,
            )
        ],
    }


def _closure_record(closure: c.CaseClosure) -> dict[str, object]:
    return compact(
        {
            "closed_at": closure.closed_at.isoformat(),
            "reason": _CLOSURE_REASONS.get(closure.reason, closure.reason),
            "decision_body": None if closure.decision_body is None else closure.decision_body.name,
            "post_support": _period_record(closure.post_support),
            "comment": closure.comment,
        }
    )


def _status_record(update: c.ActionStatusUpdate) -> dict[str, object]:
    return compact(
        {
            "plan_id": update.plan_id,
            "action_id": update.action_id,
            "status": _native(STATUSES, update.status, "Status"),
            "changed_at": update.status_at.isoformat(),
            "centre": _organisation_record(update.organisation),
            "counsellor": _person_record(update.specialist),
            "service_period": _period_record(update.period),
            "note": update.comment,
            "document": update.evidence_ref,
        }
    )


def _report_record(report: c.PeriodicReport) -> dict[str, object]:
    return compact(
        {
            "report_number": report.report_id,
            "period": _period_record(report.period),
            "centre": _organisation_record(report.organisation),
            "plan_id": report.plan_id,
            "measures": [
                compact(
                    {
                        "action_id": a.action_id,
                        "status": _native(STATUSES, a.status, "Status"),
                        "result": a.summary,
                    }
                )
                for a in report.actions
            ]
            or None,
            "summary": report.summary,
            "next_steps": report.next_steps,
        }
    )


def _response_record(response: c.InformationResponse) -> dict[str, object]:
    # The centre sees the social class only: health and conduct parts never reach it.
    return compact(
        {
            "request_number": response.request_id,
            "answered_at": response.responded_at.isoformat(),
            "centre": _organisation_record(response.organisation),
            "answer": response.answer,
            "attachments_ref": response.attachments_ref,
        }
    )


def _receipt_record(receipt: c.ReferralReceipt) -> dict[str, object]:
    return compact(
        {
            "referral_message_id": receipt.referral_message_id,
            "outcome": _RECEIPT_OUTCOMES.get(receipt.outcome, receipt.outcome),
            "registration_number": receipt.registration_number,
            "received_at": receipt.received_at.isoformat(),
            "organisation": receipt.organisation.name,
            "curator": _person_record(receipt.curator),
            "comment": receipt.comment,
        }
    )


def _decision_record(decision: c.CaseDecision) -> dict[str, object]:
    return compact(
        {
            "decision_number": decision.decision_id,
            "decided_at": decision.decided_at.isoformat(),
            "decision_body": decision.decision_body.name,
            "outcome": _DECISION_OUTCOMES.get(decision.outcome, decision.outcome),
            "category": None
            if decision.category is None
            else _CATEGORIES.get(decision.category, decision.category),
            "curator": _person_record(decision.curator),
            "curator_organisation": None
            if decision.curator_organisation is None
            else decision.curator_organisation.name,
        }
    )


def _delivery_record(receipt: c.DeliveryReceipt) -> dict[str, object]:
    return compact(
        {
            "delivered_message_id": receipt.delivered_message_id,
            "recipient": receipt.recipient,
            "outcome": receipt.outcome,
            "at": receipt.at.isoformat(),
            "remote_reference": receipt.remote_reference,
            "reason": receipt.reason,
        }
    )


#: Canonical type → (the record's kind, its writer).
_WRITERS: Final[dict[type, tuple[str, Callable[[Any], dict[str, object]]]]] = {
    c.SupportPlan: ("assigned_actions", _plan_record),
    c.ActionAssignment: ("assigned_actions", _assignment_record),
    c.InformationRequest: ("information_request", request_record),
    c.CaseClosure: ("closure_notice", _closure_record),
    c.ReferralReceipt: ("referral_receipt", _receipt_record),
    c.CaseDecision: ("case_decision", _decision_record),
    c.DeliveryReceipt: ("delivery_receipt", _delivery_record),
    c.FamilyReferral: ("referral", _referral_record),
    c.ActionStatusUpdate: ("action_status", _status_record),
    c.PeriodicReport: ("periodic_report", _report_record),
    c.InformationResponse: ("information_response", _response_record),
}
