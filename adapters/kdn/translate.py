"""The commission's (КДН и ЗП) SOAP records ⇄ canonical messages.

Its register takes a *Signal* (``signal.xsd``): the family as a surname, a one-line address
and the children's names, grounds from the commission's own directory. Going there is lossy
by design (the commission keeps less than the referral carries); what comes back is the
commission's *registration* of the signal, which becomes a ReferralReceipt. Records are
dicts with the SOAP element names, written into the request as they are (``operations``).
Pure functions: the caller passes the MessageId and ``now``.

Registration record (what ``to_canonical`` takes)::

    {"HubMessageId": <the referral's MessageId>, "CaseRef", "Urgent",
     "Outcome": "зарегистрировано", "RegistrationNumber": "КДН-2026-0042",
     "RegisteredAt", "Commission": "КДН и ЗП …",
     "Secretary": {"LastName", "FirstName", "MiddleName", "Position", "Phone"}, "Note"}
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from lxml import etree

import schemas
from adapters.kdn.documents import DOCUMENT_TYPES, document
from adapters.native import Fields, compact
from schemas import TranslationError
from schemas import canonical as c

__all__ = ["GROUNDS", "LAW", "SENDER", "from_canonical", "to_canonical"]

SENDER: Final = "kdn"
#: The commissions' remit in the prevention law.
LAW: Final = "Федеральный закон от 24.06.1999 № 120-ФЗ, ст. 11"

#: Canonical ReasonCode → the commission's ground (the ``Ground`` enumeration of signal.xsd).
GROUNDS: Final = {
    "neglect": "неисполнение родительских обязанностей",
    "violence": "жестокое обращение с детьми",
    "alcohol": "злоупотребление алкоголем",
    "drugs": "употребление наркотических средств",
    "school_absence": "непосещение образовательной организации",
    "newborn_at_risk": "угроза жизни и здоровью новорождённого",
    "poverty": "малоимущность",
    "housing": "неудовлетворительные жилищные условия",
    "conflict": "конфликт в семье",
    "abandonment_risk": "риск отказа от ребёнка",
    "other": "иное",
}
_KINSHIP: Final = {
    "mother": "мать",
    "father": "отец",
    "guardian": "опекун",
    "other": "иной член семьи",
}
#: The commission's outcome wording → canonical ReferralReceipt Outcome.
_OUTCOMES: Final = {
    "зарегистрировано": "registered",
    "передано по подведомственности": "forwarded",
    "не относится к компетенции": "rejected_not_competent",
}


def to_canonical(record: object, *, message_id: str, now: datetime) -> etree._Element:
    """Translate the commission's registration of a signal into an unsigned ReferralReceipt.

    Raises:
        TranslationError: a field is missing, malformed or carries an unknown code.
    """
    fields = Fields(record)
    secretary = fields.optional_obj("Secretary")
    receipt = c.ReferralReceipt(
        referral_message_id=fields.text("HubMessageId"),
        outcome=fields.code("Outcome", _OUTCOMES),
        registration_number=fields.optional_text("RegistrationNumber"),
        received_at=fields.timestamp("RegisteredAt"),
        organisation=c.Organisation(name=fields.text("Commission")),
        curator=None
        if secretary is None
        else c.Curator(
            name=c.PersonName(
                last=secretary.text("LastName"),
                first=secretary.text("FirstName"),
                middle=secretary.optional_text("MiddleName"),
            ),
            position=secretary.optional_text("Position"),
            phone=secretary.optional_text("Phone"),
        ),
        comment=fields.optional_text("Note"),
    )
    return c.to_envelope(
        receipt,
        message_id=message_id,
        sender=SENDER,
        organisation=receipt.organisation.name,
        created_at=now,
        priority="urgent" if fields.has("Urgent") and fields.flag("Urgent") else "routine",
        law=LAW,
        case_ref=fields.optional_text("CaseRef"),
        correlation_id=receipt.referral_message_id,
    )


def from_canonical(envelope: etree._Element) -> dict[str, object]:
    """Translate a FamilyReferral into a Signal, a case document (``documents.DOCUMENT_TYPES``)
    into a Document, or a ReferralReceipt into a registration.

    Raises:
        TranslationError: any other message type (the register has no place for it), or a
            malformed payload.
    """
    message = c.from_envelope(envelope)
    header = message.header
    payload = message.payload
    if isinstance(payload, c.FamilyReferral):
        return _signal(payload, header)
    if header.message_type in DOCUMENT_TYPES:
        return document(payload, header)
    if isinstance(payload, c.ReferralReceipt):
        curator = payload.curator
        outcome = _lookup({v: k for k, v in _OUTCOMES.items()}, payload.outcome, "Outcome")
        return compact(
            {
                "HubMessageId": payload.referral_message_id,
                "CaseRef": header.case_ref,
                "Urgent": True if header.priority == "urgent" else None,
                "Outcome": outcome,
                "RegistrationNumber": payload.registration_number,
                "RegisteredAt": payload.received_at.isoformat(),
                "Commission": payload.organisation.name,
                "Secretary": None
                if curator is None
                else compact(
                    {
                        "LastName": curator.name.last,
                        "FirstName": curator.name.first,
                        "MiddleName": curator.name.middle,
                        "Position": curator.position,
                        "Phone": curator.phone,
                    }
                ),
                "Note": payload.comment,
            }
        )
    raise TranslationError(
        "MessageType", f"the commission's register takes no {type(payload).__name__}"
    )


def _signal(referral: c.FamilyReferral, header: schemas.EnvelopeHeader) -> dict[str, object]:
    specialist = referral.specialist
    # The commission files a family under one surname: a parent's when known, else a child's.
    surname = (referral.adults[0] if referral.adults else referral.children[0]).name.last
    return compact(
        {
            "HubMessageId": header.message_id,
            "SignalNumber": referral.referral_id,
            "CaseRef": header.case_ref,
            "SourceAgency": header.sender,
            "SourceOrganisation": referral.organisation.name,
            "Reporter": compact(
                {
                    "LastName": specialist.name.last,
                    "FirstName": specialist.name.first,
                    "MiddleName": specialist.name.middle,
                    "Position": specialist.position,
                    "Phone": specialist.phone,
                }
            ),
            "DetectedAt": referral.detected_at.isoformat(),
            "SentAt": header.created_at.isoformat(),
            "Urgent": referral.urgency == "urgent",
            "Family": compact(
                {
                    "Surname": surname,
                    "Address": _address_line(referral.address),
                    "ChildrenCount": len(referral.children),
                    "Children": {
                        "Child": [
                            compact(
                                {
                                    "LastName": child.name.last,
                                    "FirstName": child.name.first,
                                    "MiddleName": child.name.middle,
                                    "BirthDate": child.birth_date.isoformat(),
                                }
                            )
                            for child in referral.children
                        ]
                    },
                    "Parents": {
                        "Parent": [
                            compact(
                                {
                                    "LastName": adult.name.last,
                                    "FirstName": adult.name.first,
                                    "MiddleName": adult.name.middle,
                                    "BirthDate": adult.birth_date.isoformat(),
                                    "Kinship": _lookup(_KINSHIP, adult.role, "Role"),
                                }
                            )
                            for adult in referral.adults
                        ]
                    }
                    if referral.adults
                    else None,
                }
            ),
            "Grounds": {"Ground": [_lookup(GROUNDS, r.code, "Reason") for r in referral.reasons]},
            "Circumstances": referral.circumstances,
        }
    )


def _address_line(address: c.Address) -> str:
    parts = [
        address.region,
        address.district,
        address.locality,
        address.street,
        f"д. {address.house}",
        None if address.flat is None else f"кв. {address.flat}",
        address.details,
    ]
    return ", ".join(part for part in parts if part is not None)


def _lookup(table: dict[str, str], value: str, field: str) -> str:
    if value not in table:
        raise TranslationError(field, f"no commission code for {value!r}")
    return table[value]
