"""Shared canonical types (``common-1.0.xsd``) and the XML helpers every payload module uses.

Writers build lxml elements in the payload's own namespace, with the common types' children
in ``COMMON_NS``; ``Reader`` walks a validated payload and raises ``TranslationError`` naming
the element at fault, so a partner that cannot represent a message says which field it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from lxml import etree

import schemas
from schemas import TranslationError
from schemas.whitespace import XML_WHITESPACE, collapse

__all__ = [
    "COMMON_NS",
    "CURATOR_STAFF_ID_VERSION",
    "SCHEMA_VERSION",
    "Address",
    "Adult",
    "Child",
    "Curator",
    "DecisionBody",
    "Institution",
    "Organisation",
    "Period",
    "PersonName",
    "Reader",
    "Specialist",
]

#: Namespace of the shared types' child elements (``schemas/common/common-1.0.xsd``).
COMMON_NS = "urn:family-hub:common:1"
#: The payload version written unless a payload needs a newer minor version.
SCHEMA_VERSION = "1.0"
#: ReferralReceipt, CaseDecision and SupportPlan 1.1 add the curator's StaffId (c:Curator).
CURATOR_STAFF_ID_VERSION = "1.1"

_T = TypeVar("_T")
#: What ``Reader`` finds of an element that is absent (shared; never changed).
_NONE: list[etree._Element] = []


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
class Curator(Specialist):
    """A case curator: ``staff_id`` is the case owner's stable id for them (a personnel
    number), which binds the curator's hub account; it needs the payload's version 1.1."""

    staff_id: str | None = None


def curator_version(curator: Curator | None) -> str:
    """The oldest version of a payload naming ``curator`` that carries its staff id."""
    if curator is None or curator.staff_id is None:
        return SCHEMA_VERSION
    return CURATOR_STAFF_ID_VERSION


@dataclass(frozen=True)
class Period:
    start: date
    end: date | None = None


@dataclass(frozen=True)
class DecisionBody:
    """The collegial body that decides: КДН и ЗП, консилиум, рабочая группа, МВК."""

    kind: str  # kdn | council | working_group | interagency_commission
    name: str


# Writing


def payload_ns(message_type: str) -> str:
    """Return the payload namespace of ``message_type`` (shared by its minor versions)."""
    return schemas.payload_namespace(message_type, SCHEMA_VERSION)


def new_payload(message_type: str) -> tuple[etree._Element, str]:
    """Return an empty payload root element and its namespace."""
    ns = payload_ns(message_type)
    # The payload's own namespace as the default, the common types under "c:".
    nsmap = {None: ns, "c": COMMON_NS}
    root = etree.Element(f"{{{ns}}}{message_type}", nsmap=nsmap)  # type: ignore[arg-type]  # lxml-stubs: None is valid
    return root, ns


def add(parent: etree._Element, ns: str, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        element.text = text
    return element


def add_optional(parent: etree._Element, ns: str, tag: str, text: str | None) -> None:
    if text is not None:
        add(parent, ns, tag, text)


def add_name_parts(element: etree._Element, name: PersonName) -> None:
    add(element, COMMON_NS, "LastName", name.last)
    add(element, COMMON_NS, "FirstName", name.first)
    add_optional(element, COMMON_NS, "MiddleName", name.middle)


def add_name(parent: etree._Element, ns: str, tag: str, name: PersonName) -> None:
    add_name_parts(add(parent, ns, tag), name)


def add_organisation(parent: etree._Element, ns: str, tag: str, org: Organisation) -> None:
    element = add(parent, ns, tag)
    add(element, COMMON_NS, "Name", org.name)
    add_optional(element, COMMON_NS, "Department", org.department)


def add_specialist(parent: etree._Element, ns: str, tag: str, person: Specialist) -> None:
    element = add(parent, ns, tag)
    add_name(element, COMMON_NS, "Name", person.name)
    add_optional(element, COMMON_NS, "Position", person.position)
    add_optional(element, COMMON_NS, "Phone", person.phone)
    if isinstance(person, Curator):
        add_optional(element, COMMON_NS, "StaffId", person.staff_id)


def add_address(parent: etree._Element, ns: str, address: Address) -> None:
    element = add(parent, ns, "Address")
    add(element, COMMON_NS, "Region", address.region)
    add_optional(element, COMMON_NS, "District", address.district)
    add(element, COMMON_NS, "Locality", address.locality)
    add(element, COMMON_NS, "Street", address.street)
    add(element, COMMON_NS, "House", address.house)
    add_optional(element, COMMON_NS, "Flat", address.flat)
    add_optional(element, COMMON_NS, "Details", address.details)


def add_child(parent: etree._Element, ns: str, child: Child) -> None:
    element = add(parent, ns, "Child")
    add_name(element, COMMON_NS, "Name", child.name)
    add(element, COMMON_NS, "BirthDate", child.birth_date.isoformat())
    add_optional(element, COMMON_NS, "Sex", child.sex)
    if child.institution is not None:
        institution = add(element, COMMON_NS, "Institution")
        add(institution, COMMON_NS, "Kind", child.institution.kind)
        add(institution, COMMON_NS, "Name", child.institution.name)
    add_optional(element, COMMON_NS, "HealthNote", child.health_note)


def add_adult(parent: etree._Element, ns: str, adult: Adult) -> None:
    element = add(parent, ns, "Adult")
    add_name(element, COMMON_NS, "Name", adult.name)
    add(element, COMMON_NS, "BirthDate", adult.birth_date.isoformat())
    add(element, COMMON_NS, "Role", adult.role)
    add_optional(element, COMMON_NS, "Phone", adult.phone)


def add_period(parent: etree._Element, ns: str, tag: str, period: Period) -> None:
    element = add(parent, ns, tag)
    add(element, COMMON_NS, "From", period.start.isoformat())
    if period.end is not None:
        add(element, COMMON_NS, "To", period.end.isoformat())


def add_decision_body(parent: etree._Element, ns: str, tag: str, body: DecisionBody) -> None:
    element = add(parent, ns, tag)
    add(element, COMMON_NS, "Kind", body.kind)
    add(element, COMMON_NS, "Name", body.name)


def add_day(parent: etree._Element, ns: str, tag: str, value: date | None) -> None:
    if value is not None:
        add(parent, ns, tag, value.isoformat())


def add_moment(parent: etree._Element, ns: str, tag: str, value: datetime) -> None:
    add(parent, ns, tag, value.isoformat())


# Reading


class Reader:
    """One payload element being read; knows its path for error messages.

    Text comes in two kinds, after the XSD type of the element: ``text`` for an
    ``xs:string`` (codes, free text), kept as written, and ``token`` for an ``xs:token``
    (identifiers, short texts, name parts), whitespace collapsed as the XSD compared it.
    Dates, times, numbers and booleans are read after the same collapse.
    """

    __slots__ = ("_by_tag", "element", "ns", "path")

    def __init__(self, element: etree._Element, path: str, ns: str | None = None) -> None:
        self.element = element
        self.path = path
        # Children of payload-schema types are in the message namespace, of common types in
        # the common namespace; the root's namespace is the message's own.
        self.ns = ns if ns is not None else etree.QName(element).namespace
        self._by_tag: dict[str, list[etree._Element]] | None = None

    def _all(self, tag: str, ns: str | None) -> list[etree._Element]:
        # One pass over the children, then dictionary look-ups: lxml's find() runs its
        # path engine on every call, which made reading a referral several times slower.
        by_tag = self._by_tag
        if by_tag is None:
            by_tag = self._by_tag = {}
            # A comment or processing instruction (which the safe parser refuses anyway)
            # is filed under its non-string tag, which no look-up asks for.
            for element in self.element:
                found = by_tag.get(element.tag)
                if found is None:
                    by_tag[element.tag] = [element]
                else:
                    found.append(element)
        return by_tag.get(f"{{{ns or self.ns}}}{tag}", _NONE)

    def _text_of(self, tag: str, ns: str | None) -> str | None:
        found = self._all(tag, ns)
        if not found:
            return None
        text = found[0].text
        if not text:
            raise TranslationError(f"{self.path}/{tag}", "empty")
        return text

    def optional(self, tag: str, *, ns: str | None = None) -> Reader | None:
        found = self._all(tag, ns)
        return Reader(found[0], f"{self.path}/{tag}", ns or self.ns) if found else None

    def child(self, tag: str, *, ns: str | None = None) -> Reader:
        found = self.optional(tag, ns=ns)
        if found is None:
            raise TranslationError(f"{self.path}/{tag}", "missing")
        return found

    def children(self, tag: str, *, ns: str | None = None) -> list[Reader]:
        return [
            Reader(e, f"{self.path}/{tag}[{i + 1}]", ns or self.ns)
            for i, e in enumerate(self._all(tag, ns))
        ]

    def optional_text(self, tag: str, *, ns: str | None = None) -> str | None:
        """The text of an ``xs:string`` element as written; None when it is absent."""
        return self._text_of(tag, ns)

    def text(self, tag: str, *, ns: str | None = None) -> str:
        value = self._text_of(tag, ns)
        if value is None:
            raise TranslationError(f"{self.path}/{tag}", "missing")
        return value

    def optional_token(self, tag: str, *, ns: str | None = None) -> str | None:
        """The value of an ``xs:token`` element, whitespace collapsed; None when absent."""
        text = self._text_of(tag, ns)
        if text is None:
            return None
        value = collapse(text)
        if not value:
            raise TranslationError(f"{self.path}/{tag}", "empty")
        return value

    def token(self, tag: str, *, ns: str | None = None) -> str:
        value = self.optional_token(tag, ns=ns)
        if value is None:
            raise TranslationError(f"{self.path}/{tag}", "missing")
        return value

    def texts(self, tag: str) -> tuple[str, ...]:
        """Return the text of every ``tag`` child, in document order."""
        return tuple(item.own_text() for item in self.children(tag))

    def own_text(self) -> str:
        if not self.element.text:
            raise TranslationError(self.path, "empty")
        return self.element.text

    def day(self, tag: str, *, ns: str | None = None) -> date:
        value = self.optional_day(tag, ns=ns)
        if value is None:
            raise TranslationError(f"{self.path}/{tag}", "missing")
        return value

    def optional_day(self, tag: str, *, ns: str | None = None) -> date | None:
        text = self._text_of(tag, ns)
        return None if text is None else _parse(_day, text, f"{self.path}/{tag}")

    def moment(self, tag: str) -> datetime:
        text = self._text_of(tag, None)
        if text is None:
            raise TranslationError(f"{self.path}/{tag}", "missing")
        value = _parse(_moment, text, f"{self.path}/{tag}")
        if value.tzinfo is None:
            raise TranslationError(f"{self.path}/{tag}", "no UTC offset")
        return value

    def number(self, tag: str) -> int:
        text = self.text(tag)
        try:
            return int(text.strip(XML_WHITESPACE))
        except ValueError as exc:
            raise TranslationError(f"{self.path}/{tag}", "not an integer") from exc

    def flag(self, tag: str) -> bool:
        # xs:boolean admits 1/0 beside true/false.
        text = self.text(tag).strip(XML_WHITESPACE)
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise TranslationError(f"{self.path}/{tag}", "not a boolean")


def _day(text: str) -> date:
    # Dates collapse whitespace in the XSD. An xs:date may also name its time zone
    # ("2026-12-09Z", "2026-12-09+03:00"): the day is the day written, so the zone goes.
    day = text.strip(XML_WHITESPACE)
    return date.fromisoformat(day[:10] if len(day) > 10 else day)


def _moment(text: str) -> datetime:
    # xs:dateTime collapses whitespace too.
    return datetime.fromisoformat(text.strip(XML_WHITESPACE))


def _parse(parse: Callable[[str], _T], text: str, path: str) -> _T:
    try:
        return parse(text)
    except ValueError as exc:
        raise TranslationError(path, "not an ISO 8601 date/time") from exc


def read_name(reader: Reader) -> PersonName:
    return PersonName(
        last=reader.token("LastName", ns=COMMON_NS),
        first=reader.token("FirstName", ns=COMMON_NS),
        middle=reader.optional_token("MiddleName", ns=COMMON_NS),
    )


def read_organisation(reader: Reader) -> Organisation:
    return Organisation(
        name=reader.token("Name", ns=COMMON_NS),
        department=reader.optional_token("Department", ns=COMMON_NS),
    )


def read_optional_organisation(reader: Reader | None) -> Organisation | None:
    return None if reader is None else read_organisation(reader)


def read_specialist(reader: Reader) -> Specialist:
    return Specialist(
        name=read_name(reader.child("Name", ns=COMMON_NS)),
        position=reader.optional_token("Position", ns=COMMON_NS),
        phone=reader.optional_text("Phone", ns=COMMON_NS),
    )


def read_optional_specialist(reader: Reader | None) -> Specialist | None:
    return None if reader is None else read_specialist(reader)


def read_curator(reader: Reader) -> Curator:
    specialist = read_specialist(reader)
    return Curator(
        name=specialist.name,
        position=specialist.position,
        phone=specialist.phone,
        staff_id=reader.optional_token("StaffId", ns=COMMON_NS),
    )


def read_optional_curator(reader: Reader | None) -> Curator | None:
    return None if reader is None else read_curator(reader)


def read_address(reader: Reader) -> Address:
    return Address(
        region=reader.token("Region", ns=COMMON_NS),
        district=reader.optional_token("District", ns=COMMON_NS),
        locality=reader.token("Locality", ns=COMMON_NS),
        street=reader.token("Street", ns=COMMON_NS),
        house=reader.token("House", ns=COMMON_NS),
        flat=reader.optional_token("Flat", ns=COMMON_NS),
        details=reader.optional_token("Details", ns=COMMON_NS),
    )


def read_child(reader: Reader) -> Child:
    institution = reader.optional("Institution", ns=COMMON_NS)
    return Child(
        name=read_name(reader.child("Name", ns=COMMON_NS)),
        birth_date=reader.day("BirthDate", ns=COMMON_NS),
        sex=reader.optional_text("Sex", ns=COMMON_NS),
        institution=None
        if institution is None
        else Institution(kind=institution.text("Kind"), name=institution.token("Name")),
        health_note=reader.optional_text("HealthNote", ns=COMMON_NS),
    )


def read_adult(reader: Reader) -> Adult:
    return Adult(
        name=read_name(reader.child("Name", ns=COMMON_NS)),
        birth_date=reader.day("BirthDate", ns=COMMON_NS),
        role=reader.text("Role", ns=COMMON_NS),
        phone=reader.optional_text("Phone", ns=COMMON_NS),
    )


def read_period(reader: Reader) -> Period:
    return Period(
        start=reader.day("From", ns=COMMON_NS), end=reader.optional_day("To", ns=COMMON_NS)
    )


def read_optional_period(reader: Reader | None) -> Period | None:
    return None if reader is None else read_period(reader)


def read_decision_body(reader: Reader) -> DecisionBody:
    return DecisionBody(
        kind=reader.text("Kind", ns=COMMON_NS), name=reader.token("Name", ns=COMMON_NS)
    )


def read_optional_decision_body(reader: Reader | None) -> DecisionBody | None:
    return None if reader is None else read_decision_body(reader)
