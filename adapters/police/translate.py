"""The police system's records (ПДН / дежурная часть) ⇄ canonical messages.

The police system registers a signal about a family in its КУСП register and sends it as a
FamilyReferral; what comes back (receipts, action statuses, delivery receipts) becomes a
native *notification* record in the officer's work list. Pure functions: the caller passes
the MessageId (uuid5 of the КУСП number, so a resend is a duplicate at the hub) and ``now``.

Native signal record (JSON)::

    {"kusp_number": "КУСП-2026-004512", "registered_at": "2026-03-14T22:40:00+12:00",
     "unit": "ОМВД России по Елизовскому району", "department": "ПДН",
     "officer": {"surname", "name", "patronymic", "position", "phone"},
     "received_via": "рейд" | "вызов" | "сообщение граждан" | …,
     "address": {"region", "district", "city", "street", "house", "flat", "note"},
     "parents": [{"surname", "name", "patronymic", "birth_date", "kinship", "phone"}],
     "children": [{"surname", "name", "patronymic", "birth_date", "sex": "М" | "Ж",
                   "institution": {"type": "школа" | ..., "name"}}],
     "grounds": ["neglect", "alcohol"], "urgent": true, "circumstances": "…",
     "materials_ref": "материал проверки …"}
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from lxml import etree

from adapters.native import Fields, compact, envelope_facts, request_record
from schemas import TranslationError
from schemas import canonical as c

__all__ = [
    "GROUNDS",
    "LAW",
    "SENDER",
    "answer_id_for",
    "answer_to_canonical",
    "from_canonical",
    "message_id_for",
    "to_canonical",
]

SENDER: Final = "police"
#: The legal basis of a police signal about a family: the prevention law's article on ПДН.
LAW: Final = "Федеральный закон от 24.06.1999 № 120-ФЗ, ст. 9"
#: uuid5 namespace of police MessageIds: one КУСП number, one MessageId, whatever the resend.
_KUSP_NAMESPACE: Final = uuid.UUID("6f1c1e0a-2d3b-5c4e-9a7f-1b2c3d4e5f60")

#: Police ground codes → canonical ReasonCode.
GROUNDS: Final = {
    "neglect": "neglect",
    "violence": "violence",
    "alcohol": "alcohol",
    "drugs": "drugs",
    "truancy": "school_absence",
    "newborn": "newborn_at_risk",
    "poverty": "poverty",
    "housing": "housing",
    "conflict": "conflict",
    "abandonment": "abandonment_risk",
    "other": "other",
}
_CHANNELS: Final = {
    "рейд": "visit",
    "вызов": "visit",
    "сообщение граждан": "neighbours",
    "телефон доверия": "hotline",
    "сообщение школы": "school_absence",
    "сообщение медорганизации": "hospital",
    "сообщение ЦЗН": "employment_centre",
    "иное": "other",
}
_KINSHIP: Final = {"мать": "mother", "отец": "father", "опекун": "guardian", "иное": "other"}
_SEX: Final = {"М": "male", "Ж": "female"}
_INSTITUTIONS: Final = {
    "детский сад": "kindergarten",
    "школа": "school",
    "колледж": "college",
    "иное": "other",
}
_OUTCOMES: Final = {
    "registered": "зарегистрировано",
    "forwarded": "передано по подведомственности",
    "rejected_not_competent": "не относится к компетенции",
}
_RISK_LEVELS: Final = {
    "low": "низкий",
    "medium": "средний",
    "high": "высокий",
    "critical": "критический",
}
_CATEGORIES: Final = {"sop": "СОП", "tjs": "ТЖС"}
_DECISION_OUTCOMES: Final = {
    "recognised": "семья признана нуждающейся в сопровождении",
    "not_recognised": "семья не признана нуждающейся в сопровождении",
    "deferred": "рассмотрение отложено",
}
_CLOSURE_REASONS: Final = {
    "goals_achieved": "цели сопровождения достигнуты",
    "moved_away": "смена места жительства",
    "came_of_age": "достижение ребёнком совершеннолетия",
    "early_termination": "досрочное прекращение",
    "refusal": "отказ семьи от сопровождения",
}
_STATUSES: Final = {
    "assigned": "назначено",
    "accepted": "принято к исполнению",
    "in_progress": "исполняется",
    "done": "исполнено",
    "cannot_execute": "исполнение невозможно",
    "overdue": "просрочено",
}


def message_id_for(kusp_number: str) -> str:
    """The MessageId of the signal registered under ``kusp_number``: stable across resends."""
    return str(uuid.uuid5(_KUSP_NAMESPACE, kusp_number))


def answer_id_for(request_message_id: str) -> str:
    """The MessageId of the answer to the request ``request_message_id``: one per request."""
    return str(uuid.uuid5(_KUSP_NAMESPACE, f"answer:{request_message_id}"))


def to_canonical(record: object, *, message_id: str, now: datetime) -> etree._Element:
    """Translate a native signal record into an unsigned FamilyReferral envelope.

    Raises:
        TranslationError: a field is missing, malformed or carries an unknown code.
    """
    fields = Fields(record)
    urgency = "urgent" if fields.flag("urgent") else "routine"
    referral = c.FamilyReferral(
        referral_id=fields.text("kusp_number"),
        detected_at=fields.timestamp("registered_at"),
        organisation=c.Organisation(
            name=fields.text("unit"), department=fields.optional_text("department")
        ),
        specialist=_officer(fields.obj("officer")),
        source=fields.code("received_via", _CHANNELS),
        address=_address(fields.obj("address")),
        adults=tuple(_parent(p) for p in fields.objects("parents", required=False)),
        children=tuple(_child(ch) for ch in fields.objects("children")),
        reasons=tuple(c.Reason(code=code) for code in fields.codes("grounds", GROUNDS)),
        urgency=urgency,
        circumstances=fields.text("circumstances"),
        attachments_ref=fields.optional_text("materials_ref"),
    )
    return c.to_envelope(
        referral,
        message_id=message_id,
        sender=SENDER,
        organisation=referral.organisation.name,
        created_at=now,
        priority=urgency,
        law=LAW,
    )


def answer_to_canonical(record: object, *, message_id: str, now: datetime) -> etree._Element:
    """Translate the unit's answer to an information request into an InformationResponse.

    The envelope answers the request (CorrelationId ``request_message_id``) on its case.

    Raises:
        TranslationError: a field is missing or malformed.
    """
    fields = Fields(record)
    response = c.InformationResponse(
        request_id=fields.text("request_number"),
        responded_at=fields.timestamp("answered_at"),
        organisation=c.Organisation(
            name=fields.text("unit"), department=fields.optional_text("department")
        ),
        answer=fields.optional_text("note"),
        conduct_information=fields.text("conduct"),
        attachments_ref=fields.optional_text("materials_ref"),
    )
    return c.to_envelope(
        response,
        message_id=message_id,
        sender=SENDER,
        organisation=response.organisation.name,
        created_at=now,
        priority="routine",
        law=LAW,
        case_ref=fields.optional_text("case_ref"),
        correlation_id=fields.text("request_message_id"),
    )


def from_canonical(envelope: etree._Element) -> dict[str, object]:
    """Translate a canonical message into the police system's native record.

    A FamilyReferral becomes a signal record (the shape ``to_canonical`` takes); a
    ReferralReceipt, ActionStatusUpdate, DeliveryReceipt, CaseDecision, CaseClosure or
    InformationRequest becomes a notification for the officer (``kind``: ``receipt``,
    ``action_status``, ``delivery_receipt``, ``decision``, ``closure``,
    ``information_request``). Every record carries ``kind`` and the envelope facts under
    ``hub``.

    Raises:
        TranslationError: an unsupported message type or a malformed payload.
    """
    message = c.from_envelope(envelope)
    header = message.header
    hub = envelope_facts(header)
    payload = message.payload
    if isinstance(payload, c.FamilyReferral):
        body = _signal_record(payload)
        kind = "referral"
    elif isinstance(payload, c.ReferralReceipt):
        kind = "receipt"
        body = compact(
            {
                "referral_message_id": payload.referral_message_id,
                "outcome": _OUTCOMES.get(payload.outcome, payload.outcome),
                "registration_number": payload.registration_number,
                "received_at": payload.received_at.isoformat(),
                "organisation": payload.organisation.name,
                "curator": None if payload.curator is None else _officer_record(payload.curator),
                "comment": payload.comment,
            }
        )
    elif isinstance(payload, c.ActionStatusUpdate):
        kind = "action_status"
        body = compact(
            {
                "action_id": payload.action_id,
                "plan_id": payload.plan_id,
                "status": _STATUSES.get(payload.status, payload.status),
                "status_at": payload.status_at.isoformat(),
                "organisation": payload.organisation.name,
                "specialist": None
                if payload.specialist is None
                else _officer_record(payload.specialist),
                "period_from": None if payload.period is None else payload.period.start.isoformat(),
                "period_to": None
                if payload.period is None or payload.period.end is None
                else payload.period.end.isoformat(),
                "comment": payload.comment,
                "evidence_ref": payload.evidence_ref,
            }
        )
    elif isinstance(payload, c.DeliveryReceipt):
        kind = "delivery_receipt"
        body = compact(
            {
                "delivered_message_id": payload.delivered_message_id,
                "recipient": payload.recipient,
                "outcome": payload.outcome,
                "at": payload.at.isoformat(),
                "remote_reference": payload.remote_reference,
                "reason": payload.reason,
            }
        )
    elif isinstance(payload, c.CaseDecision):
        kind, body = "decision", _decision_record(payload)
    elif isinstance(payload, c.CaseClosure):
        kind, body = "closure", _closure_record(payload)
    elif isinstance(payload, c.InformationRequest):
        kind, body = "information_request", request_record(payload)
    else:
        raise TranslationError(
            "MessageType", f"the police system has no notification for {header.message_type}"
        )
    return {"kind": kind, "hub": hub, **body}


# Native → canonical


def _name(fields: Fields) -> c.PersonName:
    return c.PersonName(
        last=fields.text("surname"),
        first=fields.text("name"),
        middle=fields.optional_text("patronymic"),
    )


def _officer(fields: Fields) -> c.Specialist:
    return c.Specialist(
        name=_name(fields),
        position=fields.optional_text("position"),
        phone=fields.optional_text("phone"),
    )


def _address(fields: Fields) -> c.Address:
    return c.Address(
        region=fields.text("region"),
        district=fields.optional_text("district"),
        locality=fields.text("city"),
        street=fields.text("street"),
        house=fields.text("house"),
        flat=fields.optional_text("flat"),
        details=fields.optional_text("note"),
    )


def _parent(fields: Fields) -> c.Adult:
    return c.Adult(
        name=_name(fields),
        birth_date=fields.date("birth_date"),
        role=fields.code("kinship", _KINSHIP),
        phone=fields.optional_text("phone"),
    )


def _child(fields: Fields) -> c.Child:
    institution = fields.optional_obj("institution")
    return c.Child(
        name=_name(fields),
        birth_date=fields.date("birth_date"),
        sex=fields.optional_code("sex", _SEX),
        institution=None
        if institution is None
        else c.Institution(
            kind=institution.code("type", _INSTITUTIONS), name=institution.text("name")
        ),
    )


# Canonical → native


def _inverse(table: dict[str, str], value: str, field: str) -> str:
    # Several native codes may map to one canonical code ("рейд", "вызов" → visit): the
    # first one listed is the police system's preferred spelling.
    for native, canonical in table.items():
        if canonical == value:
            return native
    raise TranslationError(field, f"no police code for {value!r}")


def _name_record(name: c.PersonName) -> dict[str, object]:
    return compact({"surname": name.last, "name": name.first, "patronymic": name.middle})


def _officer_record(person: c.Specialist) -> dict[str, object]:
    return compact(
        {**_name_record(person.name), "position": person.position, "phone": person.phone}
    )


def _signal_record(referral: c.FamilyReferral) -> dict[str, object]:
    address = referral.address
    return compact(
        {
            "kusp_number": referral.referral_id,
            "registered_at": referral.detected_at.isoformat(),
            "unit": referral.organisation.name,
            "department": referral.organisation.department,
            "officer": _officer_record(referral.specialist),
            "received_via": _inverse(_CHANNELS, referral.source, "Source"),
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
            "parents": [
                compact(
                    {
                        **_name_record(adult.name),
                        "birth_date": adult.birth_date.isoformat(),
                        "kinship": _inverse(_KINSHIP, adult.role, "Role"),
                        "phone": adult.phone,
                    }
                )
                for adult in referral.adults
            ]
            or None,
            "children": [
                compact(
                    {
                        **_name_record(child.name),
                        "birth_date": child.birth_date.isoformat(),
                        "sex": None if child.sex is None else _inverse(_SEX, child.sex, "Sex"),
                        "institution": None
                        if child.institution is None
                        else {
                            "type": _inverse(_INSTITUTIONS, child.institution.kind, "Kind"),
                            "name": child.institution.name,
                        },
                    }
                )
                for child in referral.children
            ],
            "grounds": [_inverse(GROUNDS, reason.code, "Reason") for reason in referral.reasons],
            "urgent": referral.urgency == "urgent",
            "circumstances": referral.circumstances,
            "materials_ref": referral.attachments_ref,
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
            "risk_level": None
            if decision.risk_level is None
            else _RISK_LEVELS.get(decision.risk_level, decision.risk_level),
            "curator": None if decision.curator is None else _officer_record(decision.curator),
            "curator_organisation": None
            if decision.curator_organisation is None
            else decision.curator_organisation.name,
            "protocol_ref": decision.protocol_ref,
            "grounds": decision.grounds,
        }
    )


def _closure_record(closure: c.CaseClosure) -> dict[str, object]:
    post_support = closure.post_support
    return compact(
        {
            "closed_at": closure.closed_at.isoformat(),
            "reason": _CLOSURE_REASONS.get(closure.reason, closure.reason),
            "decision_body": None if closure.decision_body is None else closure.decision_body.name,
            "post_support_from": None if post_support is None else post_support.start.isoformat(),
            "post_support_to": None
            if post_support is None or post_support.end is None
            else post_support.end.isoformat(),
            "comment": closure.comment,
        }
    )
