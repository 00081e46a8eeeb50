"""The canonical payloads (v1) as typed values, and their XML in the hub's envelope.

Every adapter's ``translate`` maps its native records to and from these values, so the XML
shape of a FamilyReferral or a ReferralReceipt is written once, here, after the XSDs in
``schemas/<Type>/<Type>-1.0.xsd``. Pure: no I/O and no clock; ids and times are passed in.
Reading raises ``TranslationError`` naming the missing element, so a partner that gets a
message it cannot represent says which field was at fault.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from lxml import etree

import schemas
from adapters.errors import TranslationError

__all__ = [
    "COMMON_NS",
    "SCHEMA_VERSION",
    "ActionStatusUpdate",
    "Address",
    "Adult",
    "CanonicalMessage",
    "Child",
    "DeliveryReceipt",
    "FamilyReferral",
    "Institution",
    "Organisation",
    "Payload",
    "Period",
    "PersonName",
    "Reason",
    "ReferralReceipt",
    "Specialist",
    "from_envelope",
    "to_envelope",
]

#: Namespace of the shared types' child elements (``schemas/common/common-1.0.xsd``).
COMMON_NS = "urn:family-hub:common:1"
#: The one payload version these adapters produce and read.
SCHEMA_VERSION = "1.0"

_T = TypeVar("_T")


# Shared types (common-1.0.xsd)


@dataclass(frozen=True)
class PersonName:
    """Фамилия, имя, отчество."""

    last: str
    first: str
    middle: str | None = None


@dataclass(frozen=True)
class Address:
    region: str
    locality: str
    street: str
    house: str
    district: str | None = None
    flat: str | None = None
    details: str | None = None


@dataclass(frozen=True)
class Institution:
    kind: str  # kindergarten | school | college | other
    name: str


@dataclass(frozen=True)
class Child:
    name: PersonName
    birth_date: date
    sex: str | None = None  # male | female
    institution: Institution | None = None
    health_note: str | None = None


@dataclass(frozen=True)
class Adult:
    name: PersonName
    birth_date: date
    role: str  # mother | father | guardian | other
    phone: str | None = None


@dataclass(frozen=True)
class Organisation:
    name: str
    department: str | None = None


@dataclass(frozen=True)
class Specialist:
    name: PersonName
    position: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Period:
    start: date
    end: date | None = None


# Payloads


@dataclass(frozen=True)
class Reason:
    code: str  # a FamilyReferral ReasonCode
    details: str | None = None


@dataclass(frozen=True)
class FamilyReferral:
    """Обращение о семье: an agency reports a family with children at risk."""

    referral_id: str
    detected_at: datetime
    organisation: Organisation
    specialist: Specialist
    source: str  # a FamilyReferral SourceChannel
    address: Address
    children: tuple[Child, ...]
    reasons: tuple[Reason, ...]
    urgency: str  # urgent | routine
    circumstances: str
    adults: tuple[Adult, ...] = ()
    attachments_ref: str | None = None


@dataclass(frozen=True)
class ReferralReceipt:
    """The receiving agency's answer to a FamilyReferral."""

    referral_message_id: str
    outcome: str  # registered | forwarded | rejected_not_competent
    received_at: datetime
    organisation: Organisation
    registration_number: str | None = None
    curator: Specialist | None = None
    comment: str | None = None


@dataclass(frozen=True)
class ActionStatusUpdate:
    """An executor's status of one action (мероприятие) of a support plan."""

    action_id: str
    status: str  # assigned | accepted | in_progress | done | cannot_execute | overdue
    status_at: datetime
    organisation: Organisation
    plan_id: str | None = None
    specialist: Specialist | None = None
    period: Period | None = None
    comment: str | None = None
    evidence_ref: str | None = None


@dataclass(frozen=True)
class DeliveryReceipt:
    """A technical receipt that a message reached (or was refused by) one recipient."""

    delivered_message_id: str
    recipient: str
    outcome: str  # delivered | rejected
    at: datetime
    remote_reference: str | None = None
    reason: str | None = None


Payload = FamilyReferral | ReferralReceipt | ActionStatusUpdate | DeliveryReceipt


@dataclass(frozen=True)
class CanonicalMessage:
    """A canonical message as an adapter reads it: the envelope header and the typed payload."""

    header: schemas.EnvelopeHeader
    payload: Payload


# Envelope


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
    """Return the unsigned envelope carrying ``payload``; recipients empty = routing decides."""
    header = schemas.EnvelopeHeader(
        message_id=message_id,
        message_type=type(payload).__name__,
        schema_version=SCHEMA_VERSION,
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
        TranslationError: not a valid envelope, a message type or version these adapters do
            not read, or a payload that does not validate (``field`` names the part).
    """
    try:
        # Readers rely on the XSD's shape; a partner gets nothing it could misread.
        schemas.validate_envelope(envelope)
        header = schemas.read_header(envelope)
    except schemas.SchemaError as exc:
        raise TranslationError("Envelope", f"not a valid envelope: {type(exc).__name__}") from exc
    reader = _PAYLOAD_READERS.get(header.message_type)
    if reader is None:
        raise TranslationError("MessageType", f"{header.message_type} is not supported")
    if header.schema_version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise TranslationError("SchemaVersion", f"{header.schema_version} is not supported")
    try:
        schemas.validate_payload(envelope, header)
    except schemas.SchemaError as exc:
        raise TranslationError(header.message_type, f"invalid payload: {exc}") from exc
    element = schemas.payload_of(envelope)
    return CanonicalMessage(header=header, payload=reader(_Reader(element, header.message_type)))


# Writing


def _ns(message_type: str) -> str:
    return schemas.payload_namespace(message_type, SCHEMA_VERSION)


def _nsmap(ns: str) -> dict[str, str]:
    # The payload's own namespace as the default, the common types under "c:".
    return {None: ns, "c": COMMON_NS}  # type: ignore[dict-item]  # lxml-stubs: None is valid


def _add(parent: etree._Element, ns: str, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _add_optional(parent: etree._Element, ns: str, tag: str, text: str | None) -> None:
    if text is not None:
        _add(parent, ns, tag, text)


def _add_name(parent: etree._Element, ns: str, tag: str, name: PersonName) -> None:
    element = _add(parent, ns, tag)
    _add(element, COMMON_NS, "LastName", name.last)
    _add(element, COMMON_NS, "FirstName", name.first)
    _add_optional(element, COMMON_NS, "MiddleName", name.middle)


def _add_organisation(parent: etree._Element, ns: str, tag: str, org: Organisation) -> None:
    element = _add(parent, ns, tag)
    _add(element, COMMON_NS, "Name", org.name)
    _add_optional(element, COMMON_NS, "Department", org.department)


def _add_specialist(parent: etree._Element, ns: str, tag: str, person: Specialist) -> None:
    element = _add(parent, ns, tag)
    _add_name(element, COMMON_NS, "Name", person.name)
    _add_optional(element, COMMON_NS, "Position", person.position)
    _add_optional(element, COMMON_NS, "Phone", person.phone)


def _add_address(parent: etree._Element, ns: str, address: Address) -> None:
    element = _add(parent, ns, "Address")
    _add(element, COMMON_NS, "Region", address.region)
    _add_optional(element, COMMON_NS, "District", address.district)
    _add(element, COMMON_NS, "Locality", address.locality)
    _add(element, COMMON_NS, "Street", address.street)
    _add(element, COMMON_NS, "House", address.house)
    _add_optional(element, COMMON_NS, "Flat", address.flat)
    _add_optional(element, COMMON_NS, "Details", address.details)


def _add_child(parent: etree._Element, ns: str, child: Child) -> None:
    element = _add(parent, ns, "Child")
    _add_name(element, COMMON_NS, "Name", child.name)
    _add(element, COMMON_NS, "BirthDate", child.birth_date.isoformat())
    _add_optional(element, COMMON_NS, "Sex", child.sex)
    if child.institution is not None:
        institution = _add(element, COMMON_NS, "Institution")
        _add(institution, COMMON_NS, "Kind", child.institution.kind)
        _add(institution, COMMON_NS, "Name", child.institution.name)
    _add_optional(element, COMMON_NS, "HealthNote", child.health_note)


def _add_adult(parent: etree._Element, ns: str, adult: Adult) -> None:
    element = _add(parent, ns, "Adult")
    _add_name(element, COMMON_NS, "Name", adult.name)
    _add(element, COMMON_NS, "BirthDate", adult.birth_date.isoformat())
    _add(element, COMMON_NS, "Role", adult.role)
    _add_optional(element, COMMON_NS, "Phone", adult.phone)


def _write_family_referral(referral: FamilyReferral) -> etree._Element:
    ns = _ns("FamilyReferral")
    root = etree.Element(f"{{{ns}}}FamilyReferral", nsmap=_nsmap(ns))
    _add(root, ns, "ReferralId", referral.referral_id)
    _add(root, ns, "DetectedAt", referral.detected_at.isoformat())
    detected_by = _add(root, ns, "DetectedBy")
    _add_organisation(detected_by, ns, "Organisation", referral.organisation)
    _add_specialist(detected_by, ns, "Specialist", referral.specialist)
    _add(root, ns, "Source", referral.source)
    family = _add(root, ns, "Family")
    _add_address(family, ns, referral.address)
    if referral.adults:
        adults = _add(family, ns, "Adults")
        for adult in referral.adults:
            _add_adult(adults, ns, adult)
    children = _add(family, ns, "Children")
    for child in referral.children:
        _add_child(children, ns, child)
    reasons = _add(root, ns, "Reasons")
    for reason in referral.reasons:
        element = _add(reasons, ns, "Reason")
        _add(element, ns, "Code", reason.code)
        _add_optional(element, ns, "Details", reason.details)
    _add(root, ns, "Urgency", referral.urgency)
    _add(root, ns, "Circumstances", referral.circumstances)
    _add_optional(root, ns, "AttachmentsRef", referral.attachments_ref)
    return root


def _write_referral_receipt(receipt: ReferralReceipt) -> etree._Element:
    ns = _ns("ReferralReceipt")
    root = etree.Element(f"{{{ns}}}ReferralReceipt", nsmap=_nsmap(ns))
    _add(root, ns, "ReferralMessageId", receipt.referral_message_id)
    _add(root, ns, "Outcome", receipt.outcome)
    _add_optional(root, ns, "RegistrationNumber", receipt.registration_number)
    _add(root, ns, "ReceivedAt", receipt.received_at.isoformat())
    _add_organisation(root, ns, "ResponsibleOrganisation", receipt.organisation)
    if receipt.curator is not None:
        _add_specialist(root, ns, "Curator", receipt.curator)
    _add_optional(root, ns, "Comment", receipt.comment)
    return root


def _write_action_status_update(update: ActionStatusUpdate) -> etree._Element:
    ns = _ns("ActionStatusUpdate")
    root = etree.Element(f"{{{ns}}}ActionStatusUpdate", nsmap=_nsmap(ns))
    _add(root, ns, "ActionId", update.action_id)
    _add_optional(root, ns, "PlanId", update.plan_id)
    _add(root, ns, "Status", update.status)
    _add(root, ns, "StatusAt", update.status_at.isoformat())
    _add_organisation(root, ns, "ResponsibleOrganisation", update.organisation)
    if update.specialist is not None:
        _add_specialist(root, ns, "Specialist", update.specialist)
    if update.period is not None:
        period = _add(root, ns, "Period")
        _add(period, COMMON_NS, "From", update.period.start.isoformat())
        if update.period.end is not None:
            _add(period, COMMON_NS, "To", update.period.end.isoformat())
    _add_optional(root, ns, "Comment", update.comment)
    _add_optional(root, ns, "EvidenceRef", update.evidence_ref)
    return root


def _write_delivery_receipt(receipt: DeliveryReceipt) -> etree._Element:
    ns = _ns("DeliveryReceipt")
    root = etree.Element(f"{{{ns}}}DeliveryReceipt", nsmap=_nsmap(ns))
    _add(root, ns, "DeliveredMessageId", receipt.delivered_message_id)
    _add(root, ns, "Recipient", receipt.recipient)
    _add(root, ns, "Outcome", receipt.outcome)
    _add(root, ns, "At", receipt.at.isoformat())
    _add_optional(root, ns, "RemoteReference", receipt.remote_reference)
    _add_optional(root, ns, "Reason", receipt.reason)
    return root


_PAYLOAD_WRITERS: dict[type, Callable[[Any], etree._Element]] = {
    FamilyReferral: _write_family_referral,
    ReferralReceipt: _write_referral_receipt,
    ActionStatusUpdate: _write_action_status_update,
    DeliveryReceipt: _write_delivery_receipt,
}


# Reading


class _Reader:
    """One payload element being read; knows its path for error messages."""

    def __init__(self, element: etree._Element, path: str, ns: str | None = None) -> None:
        self.element = element
        self.path = path
        # Children of payload-schema types are in the message namespace, of common types in
        # the common namespace; the root's namespace is the message's own.
        self.ns = ns if ns is not None else etree.QName(element).namespace

    def _find(self, tag: str, ns: str | None) -> etree._Element | None:
        return self.element.find(f"{{{ns or self.ns}}}{tag}")

    def optional(self, tag: str, *, ns: str | None = None) -> _Reader | None:
        found = self._find(tag, ns)
        return None if found is None else _Reader(found, f"{self.path}/{tag}", ns or self.ns)

    def child(self, tag: str, *, ns: str | None = None) -> _Reader:
        found = self.optional(tag, ns=ns)
        if found is None:
            raise TranslationError(f"{self.path}/{tag}", "missing")
        return found

    def children(self, tag: str, *, ns: str | None = None) -> list[_Reader]:
        found = self.element.findall(f"{{{ns or self.ns}}}{tag}")
        return [
            _Reader(e, f"{self.path}/{tag}[{i + 1}]", ns or self.ns) for i, e in enumerate(found)
        ]

    def optional_text(self, tag: str, *, ns: str | None = None) -> str | None:
        found = self._find(tag, ns)
        if found is None:
            return None
        if not found.text:
            raise TranslationError(f"{self.path}/{tag}", "empty")
        return found.text

    def text(self, tag: str, *, ns: str | None = None) -> str:
        value = self.optional_text(tag, ns=ns)
        if value is None:
            raise TranslationError(f"{self.path}/{tag}", "missing")
        return value

    def day(self, tag: str, *, ns: str | None = None) -> date:
        return _parse(date.fromisoformat, self.text(tag, ns=ns), f"{self.path}/{tag}")

    def optional_day(self, tag: str, *, ns: str | None = None) -> date | None:
        text = self.optional_text(tag, ns=ns)
        return None if text is None else _parse(date.fromisoformat, text, f"{self.path}/{tag}")

    def moment(self, tag: str) -> datetime:
        value = _parse(datetime.fromisoformat, self.text(tag), f"{self.path}/{tag}")
        if value.tzinfo is None:
            raise TranslationError(f"{self.path}/{tag}", "no UTC offset")
        return value


def _parse(parse: Callable[[str], _T], text: str, path: str) -> _T:
    try:
        return parse(text)
    except ValueError as exc:
        raise TranslationError(path, "not an ISO 8601 date/time") from exc


def _read_name(reader: _Reader) -> PersonName:
    return PersonName(
        last=reader.text("LastName", ns=COMMON_NS),
        first=reader.text("FirstName", ns=COMMON_NS),
        middle=reader.optional_text("MiddleName", ns=COMMON_NS),
    )


def _read_organisation(reader: _Reader) -> Organisation:
    return Organisation(
        name=reader.text("Name", ns=COMMON_NS),
        department=reader.optional_text("Department", ns=COMMON_NS),
    )


def _read_specialist(reader: _Reader) -> Specialist:
    return Specialist(
        name=_read_name(reader.child("Name", ns=COMMON_NS)),
        position=reader.optional_text("Position", ns=COMMON_NS),
        phone=reader.optional_text("Phone", ns=COMMON_NS),
    )


def _read_address(reader: _Reader) -> Address:
    return Address(
        region=reader.text("Region", ns=COMMON_NS),
        district=reader.optional_text("District", ns=COMMON_NS),
        locality=reader.text("Locality", ns=COMMON_NS),
        street=reader.text("Street", ns=COMMON_NS),
        house=reader.text("House", ns=COMMON_NS),
        flat=reader.optional_text("Flat", ns=COMMON_NS),
        details=reader.optional_text("Details", ns=COMMON_NS),
    )


def _read_child(reader: _Reader) -> Child:
    institution = reader.optional("Institution", ns=COMMON_NS)
    return Child(
        name=_read_name(reader.child("Name", ns=COMMON_NS)),
        birth_date=reader.day("BirthDate", ns=COMMON_NS),
        sex=reader.optional_text("Sex", ns=COMMON_NS),
        institution=None
        if institution is None
        else Institution(kind=institution.text("Kind"), name=institution.text("Name")),
        health_note=reader.optional_text("HealthNote", ns=COMMON_NS),
    )


def _read_adult(reader: _Reader) -> Adult:
    return Adult(
        name=_read_name(reader.child("Name", ns=COMMON_NS)),
        birth_date=reader.day("BirthDate", ns=COMMON_NS),
        role=reader.text("Role", ns=COMMON_NS),
        phone=reader.optional_text("Phone", ns=COMMON_NS),
    )


def _read_family_referral(root: _Reader) -> FamilyReferral:
    detected_by = root.child("DetectedBy")
    family = root.child("Family")
    adults = family.optional("Adults")
    return FamilyReferral(
        referral_id=root.text("ReferralId"),
        detected_at=root.moment("DetectedAt"),
        organisation=_read_organisation(detected_by.child("Organisation")),
        specialist=_read_specialist(detected_by.child("Specialist")),
        source=root.text("Source"),
        address=_read_address(family.child("Address")),
        adults=() if adults is None else tuple(_read_adult(a) for a in adults.children("Adult")),
        children=tuple(_read_child(c) for c in family.child("Children").children("Child")),
        reasons=tuple(
            Reason(code=r.text("Code"), details=r.optional_text("Details"))
            for r in root.child("Reasons").children("Reason")
        ),
        urgency=root.text("Urgency"),
        circumstances=root.text("Circumstances"),
        attachments_ref=root.optional_text("AttachmentsRef"),
    )


def _read_referral_receipt(root: _Reader) -> ReferralReceipt:
    curator = root.optional("Curator")
    return ReferralReceipt(
        referral_message_id=root.text("ReferralMessageId"),
        outcome=root.text("Outcome"),
        registration_number=root.optional_text("RegistrationNumber"),
        received_at=root.moment("ReceivedAt"),
        organisation=_read_organisation(root.child("ResponsibleOrganisation")),
        curator=None if curator is None else _read_specialist(curator),
        comment=root.optional_text("Comment"),
    )


def _read_action_status_update(root: _Reader) -> ActionStatusUpdate:
    specialist = root.optional("Specialist")
    period = root.optional("Period")
    return ActionStatusUpdate(
        action_id=root.text("ActionId"),
        plan_id=root.optional_text("PlanId"),
        status=root.text("Status"),
        status_at=root.moment("StatusAt"),
        organisation=_read_organisation(root.child("ResponsibleOrganisation")),
        specialist=None if specialist is None else _read_specialist(specialist),
        period=None
        if period is None
        else Period(
            start=period.day("From", ns=COMMON_NS), end=period.optional_day("To", ns=COMMON_NS)
        ),
        comment=root.optional_text("Comment"),
        evidence_ref=root.optional_text("EvidenceRef"),
    )


def _read_delivery_receipt(root: _Reader) -> DeliveryReceipt:
    return DeliveryReceipt(
        delivered_message_id=root.text("DeliveredMessageId"),
        recipient=root.text("Recipient"),
        outcome=root.text("Outcome"),
        at=root.moment("At"),
        remote_reference=root.optional_text("RemoteReference"),
        reason=root.optional_text("Reason"),
    )


_PAYLOAD_READERS: dict[str, Callable[[_Reader], Payload]] = {
    "FamilyReferral": _read_family_referral,
    "ReferralReceipt": _read_referral_receipt,
    "ActionStatusUpdate": _read_action_status_update,
    "DeliveryReceipt": _read_delivery_receipt,
}
