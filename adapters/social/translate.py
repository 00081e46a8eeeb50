"""The social service centre's REST records ⇄ canonical messages.

The centre is the case owner. It receives referrals as webhook events
(``{"event": "referral.received", ...}``) and answers with its own events: a
``referral.registered`` event becomes a ReferralReceipt, an ``action.status_changed`` event an
ActionStatusUpdate. Pure functions: the caller passes the MessageId and ``now``.

Outbound events (what ``to_canonical`` takes)::

    {"event": "referral.registered", "referral_message_id", "case_ref", "urgent",
     "outcome": "registered", "registration_number": "СРЦ-2026/0147",
     "registered_at", "centre": {"name", "department"},
     "curator": {"last_name", "first_name", "middle_name", "position", "phone"}, "comment"}
    {"event": "action.status_changed", "referral_message_id", "case_ref", "urgent",
     "action_id": "survey-1", "plan_id", "status": "accepted", "changed_at",
     "executor": {"name", "department"}, "specialist": {...},
     "period": {"from", "to"}, "comment", "evidence_ref"}

Inbound events (what ``from_canonical`` returns) add ``hub`` (the envelope facts); a
FamilyReferral becomes ``{"event": "referral.received", "hub", "referral": {...}}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from lxml import etree

from adapters import canonical as c
from adapters.errors import TranslationError
from adapters.native import Fields, compact, envelope_facts

__all__ = ["LAW", "SENDER", "from_canonical", "to_canonical"]

SENDER: Final = "social"
#: Social services act on the social services law and the prevention law.
LAW: Final = "Федеральный закон от 28.12.2013 № 442-ФЗ; Федеральный закон от 24.06.1999 № 120-ФЗ"

_OUTCOMES: Final = {v: v for v in ("registered", "forwarded", "rejected_not_competent")}
_STATUSES: Final = {
    v: v for v in ("assigned", "accepted", "in_progress", "done", "cannot_execute", "overdue")
}


def to_canonical(record: object, *, message_id: str, now: datetime) -> etree._Element:
    """Translate an outbound centre event into an unsigned canonical envelope.

    The envelope answers the referral: CorrelationId is ``referral_message_id``.

    Raises:
        TranslationError: unknown ``event``, or a field missing, malformed or unknown.
    """
    fields = Fields(record)
    event = fields.text("event")
    payload: c.ReferralReceipt | c.ActionStatusUpdate
    if event == "referral.registered":
        payload = c.ReferralReceipt(
            referral_message_id=fields.text("referral_message_id"),
            outcome=fields.code("outcome", _OUTCOMES),
            registration_number=fields.optional_text("registration_number"),
            received_at=fields.timestamp("registered_at"),
            organisation=_organisation(fields.obj("centre")),
            curator=_optional_specialist(fields.optional_obj("curator")),
            comment=fields.optional_text("comment"),
        )
        organisation = payload.organisation.name
    elif event == "action.status_changed":
        period = fields.optional_obj("period")
        payload = c.ActionStatusUpdate(
            action_id=fields.text("action_id"),
            plan_id=fields.optional_text("plan_id"),
            status=fields.code("status", _STATUSES),
            status_at=fields.timestamp("changed_at"),
            organisation=_organisation(fields.obj("executor")),
            specialist=_optional_specialist(fields.optional_obj("specialist")),
            period=None
            if period is None
            else c.Period(start=period.date("from"), end=period.optional_date("to")),
            comment=fields.optional_text("comment"),
            evidence_ref=fields.optional_text("evidence_ref"),
        )
        organisation = payload.organisation.name
    else:
        raise TranslationError(fields.path("event"), f"unknown event {event!r}")
    return c.to_envelope(
        payload,
        message_id=message_id,
        sender=SENDER,
        organisation=organisation,
        created_at=now,
        priority="urgent" if fields.has("urgent") and fields.flag("urgent") else "routine",
        law=LAW,
        case_ref=fields.optional_text("case_ref"),
        correlation_id=fields.text("referral_message_id"),
    )


def from_canonical(envelope: etree._Element) -> dict[str, object]:
    """Translate a canonical message into the centre's inbound webhook event.

    Raises:
        TranslationError: an unsupported message type or a malformed payload.
    """
    message = c.from_envelope(envelope)
    header = message.header
    hub = envelope_facts(header)
    # The centre's events repeat the case and urgency so its registry needs no envelope.
    answer = compact(
        {
            "referral_message_id": header.correlation_id,
            "case_ref": header.case_ref,
            "urgent": True if header.priority == "urgent" else None,
        }
    )
    payload = message.payload
    if isinstance(payload, c.FamilyReferral):
        return {"event": "referral.received", "hub": hub, "referral": _referral_record(payload)}
    if isinstance(payload, c.ReferralReceipt):
        return {
            "event": "referral.registered",
            "hub": hub,
            **answer,
            **compact(
                {
                    "outcome": payload.outcome,
                    "registration_number": payload.registration_number,
                    "registered_at": payload.received_at.isoformat(),
                    "centre": _organisation_record(payload.organisation),
                    "curator": _optional_person_record(payload.curator),
                    "comment": payload.comment,
                }
            ),
        }
    if isinstance(payload, c.ActionStatusUpdate):
        period = payload.period
        return {
            "event": "action.status_changed",
            "hub": hub,
            **answer,
            **compact(
                {
                    "action_id": payload.action_id,
                    "plan_id": payload.plan_id,
                    "status": payload.status,
                    "changed_at": payload.status_at.isoformat(),
                    "executor": _organisation_record(payload.organisation),
                    "specialist": _optional_person_record(payload.specialist),
                    "period": None
                    if period is None
                    else compact(
                        {
                            "from": period.start.isoformat(),
                            "to": None if period.end is None else period.end.isoformat(),
                        }
                    ),
                    "comment": payload.comment,
                    "evidence_ref": payload.evidence_ref,
                }
            ),
        }
    return {
        "event": "delivery.receipt",
        "hub": hub,
        **compact(
            {
                "delivered_message_id": payload.delivered_message_id,
                "recipient": payload.recipient,
                "outcome": payload.outcome,
                "at": payload.at.isoformat(),
                "remote_reference": payload.remote_reference,
                "reason": payload.reason,
            }
        ),
    }


# Native → canonical


def _organisation(fields: Fields) -> c.Organisation:
    return c.Organisation(name=fields.text("name"), department=fields.optional_text("department"))


def _optional_specialist(fields: Fields | None) -> c.Specialist | None:
    if fields is None:
        return None
    return c.Specialist(
        name=c.PersonName(
            last=fields.text("last_name"),
            first=fields.text("first_name"),
            middle=fields.optional_text("middle_name"),
        ),
        position=fields.optional_text("position"),
        phone=fields.optional_text("phone"),
    )


# Canonical → native


def _organisation_record(org: c.Organisation) -> dict[str, object]:
    return compact({"name": org.name, "department": org.department})


def _name_record(name: c.PersonName) -> dict[str, object]:
    return compact({"last_name": name.last, "first_name": name.first, "middle_name": name.middle})


def _optional_person_record(person: c.Specialist | None) -> dict[str, object] | None:
    if person is None:
        return None
    return compact(
        {**_name_record(person.name), "position": person.position, "phone": person.phone}
    )


def _referral_record(referral: c.FamilyReferral) -> dict[str, object]:
    address = referral.address
    return compact(
        {
            "external_number": referral.referral_id,
            "detected_at": referral.detected_at.isoformat(),
            "source_agency": _organisation_record(referral.organisation),
            "reporter": _optional_person_record(referral.specialist),
            "channel": referral.source,
            "family": {
                "address": compact(
                    {
                        "region": address.region,
                        "district": address.district,
                        "locality": address.locality,
                        "street": address.street,
                        "house": address.house,
                        "flat": address.flat,
                        "details": address.details,
                    }
                ),
                "adults": [
                    compact(
                        {
                            **_name_record(adult.name),
                            "birth_date": adult.birth_date.isoformat(),
                            "role": adult.role,
                            "phone": adult.phone,
                        }
                    )
                    for adult in referral.adults
                ],
                "children": [
                    compact(
                        {
                            **_name_record(child.name),
                            "birth_date": child.birth_date.isoformat(),
                            "sex": child.sex,
                            "institution": None
                            if child.institution is None
                            else {"kind": child.institution.kind, "name": child.institution.name},
                            "health_note": child.health_note,
                        }
                    )
                    for child in referral.children
                ],
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
