"""People and organisations as the contained resources of the health adapter's FHIR messages.

A message is self-contained: the organisation, the specialist, the children and the adults it
speaks about travel inside it (``contained``), referenced by local ids (``#org``, ``#role``,
``#child-1``), so a hospital needs no registry lookup to read it. Fixed local ids:

- ``org`` Organization (name), ``org-dept`` Organization (department, ``partOf`` ``#org``);
- ``practitioner`` Practitioner (name), ``role`` PractitionerRole (practitioner,
  organization, ``code[0].text`` = position, ``telecom`` phone): the specialist;
- ``child-<n>`` Patient (name, gender, birthDate; the first child holds the family's
  ``address``), ``child-<n>-note`` Observation (``valueString`` = the child's health note);
- ``adult-<n>`` RelatedPerson (relationship in HL7 v3 RoleCode, name, birthDate, phone);
- ``person`` Patient: whom an information request is about.

A HumanName is ``family`` (last name) and ``given`` = [first name, middle name?]. An address is
``state`` (region), ``district``, ``city`` (locality), ``line`` = [street, house, flat?] and
``text`` (details).
"""

from __future__ import annotations

from typing import Final

from adapters.health.fhir import V3_ROLE, Element
from adapters.native import compact
from schemas import TranslationError
from schemas import canonical as c

__all__ = [
    "Contained",
    "adult_resource",
    "child_resources",
    "human_name",
    "party_resources",
    "read_adult",
    "read_child",
    "read_name",
    "read_party",
]

#: Canonical adult role → HL7 v3 RoleCode.
_ROLES: Final = {"mother": "MTH", "father": "FTH", "guardian": "GUARD", "other": "FAMMEMB"}
_ROLES_BACK: Final = {v: k for k, v in _ROLES.items()}
#: FHIR AdministrativeGender → canonical Sex; ``other`` and ``unknown`` have no canonical code.
_SEXES: Final = {"male": "male", "female": "female", "other": None, "unknown": None}
#: Observation.code of a child's health note.
_HEALTH_NOTE_CODE: Final = {"text": "Сведения о здоровье ребёнка"}


class Contained:
    """A resource's contained resources by local id; resolves ``#id`` references."""

    def __init__(self, resource: Element) -> None:
        self._by_id: dict[str, Element] = {}
        self.items = resource.elements("contained", required=False)
        for item in self.items:
            self._by_id[item.text("id")] = item

    def resolve(self, reference: Element, *resource_types: str) -> Element:
        """The contained resource a Reference points to, of one of ``resource_types``.

        Raises:
            TranslationError: not a ``#id`` of a contained resource, or of another type.
        """
        target = reference.text("reference")
        found = self._by_id.get(target[1:]) if target.startswith("#") else None
        if found is None:
            raise TranslationError(reference.path("reference"), "not a contained resource")
        if found.text("resourceType") not in resource_types:
            raise TranslationError(
                reference.path("reference"), f"not a {' or '.join(resource_types)}"
            )
        return found

    def of_type(self, resource_type: str) -> list[Element]:
        """The contained resources of ``resource_type``, in document order."""
        return [item for item in self.items if item.raw("resourceType") == resource_type]


# Canonical → FHIR


def human_name(name: c.PersonName) -> dict[str, object]:
    """The HumanName of a person's name."""
    return {"family": name.last, "given": [name.first, *([name.middle] if name.middle else [])]}


def _phone(phone: str | None) -> list[dict[str, object]] | None:
    return None if phone is None else [{"system": "phone", "value": phone}]


def party_resources(
    organisation: c.Organisation | None, specialist: c.Specialist | None
) -> tuple[list[dict[str, object]], dict[str, object] | None]:
    """The contained resources of an organisation and its specialist, and the reference to
    the specialist's PractitionerRole (or to the organisation when there is no specialist)."""
    contained: list[dict[str, object]] = []
    organisation_ref: str | None = None
    if organisation is not None:
        contained.append({"resourceType": "Organization", "id": "org", "name": organisation.name})
        organisation_ref = "#org"
        if organisation.department is not None:
            contained.append(
                {
                    "resourceType": "Organization",
                    "id": "org-dept",
                    "name": organisation.department,
                    "partOf": {"reference": "#org"},
                }
            )
            organisation_ref = "#org-dept"
    if specialist is None:
        return contained, None if organisation_ref is None else {"reference": organisation_ref}
    contained.append(
        {
            "resourceType": "Practitioner",
            "id": "practitioner",
            "name": [human_name(specialist.name)],
        }
    )
    contained.append(
        compact(
            {
                "resourceType": "PractitionerRole",
                "id": "role",
                "practitioner": {"reference": "#practitioner"},
                "organization": None
                if organisation_ref is None
                else {"reference": organisation_ref},
                "code": None if specialist.position is None else [{"text": specialist.position}],
                "telecom": _phone(specialist.phone),
            }
        )
    )
    return contained, {"reference": "#role"}


def _address(address: c.Address) -> dict[str, object]:
    line = [address.street, address.house, *([address.flat] if address.flat else [])]
    return compact(
        {
            "text": address.details,
            "line": line,
            "city": address.locality,
            "district": address.district,
            "state": address.region,
        }
    )


def child_resources(
    number: int, child: c.Child, address: c.Address | None
) -> list[dict[str, object]]:
    """The Patient of child ``number`` (from 1) and, with a health note, its Observation."""
    patient_id = f"child-{number}"
    resources: list[dict[str, object]] = [
        compact(
            {
                "resourceType": "Patient",
                "id": patient_id,
                "name": [human_name(child.name)],
                "gender": child.sex,
                "birthDate": child.birth_date.isoformat(),
                "address": None if address is None else [_address(address)],
            }
        )
    ]
    if child.health_note is not None:
        resources.append(
            {
                "resourceType": "Observation",
                "id": f"{patient_id}-note",
                "status": "final",
                "code": _HEALTH_NOTE_CODE,
                "subject": {"reference": f"#{patient_id}"},
                "valueString": child.health_note,
            }
        )
    return resources


def adult_resource(number: int, adult: c.Adult, patient: str) -> dict[str, object]:
    """The RelatedPerson of adult ``number`` (from 1), related to Patient ``#patient``."""
    return compact(
        {
            "resourceType": "RelatedPerson",
            "id": f"adult-{number}",
            "patient": {"reference": f"#{patient}"},
            "relationship": [{"coding": [{"system": V3_ROLE, "code": _ROLES[adult.role]}]}],
            "name": [human_name(adult.name)],
            "telecom": _phone(adult.phone),
            "birthDate": adult.birth_date.isoformat(),
        }
    )


# FHIR → canonical


def read_name(name: Element) -> c.PersonName:
    """A HumanName: ``family`` and one or two ``given`` names."""
    given = name.texts("given")
    if len(given) > 2:
        raise TranslationError(name.path("given"), "more than a first and a middle name")
    return c.PersonName(
        last=name.text("family"), first=given[0], middle=given[1] if len(given) > 1 else None
    )


def _read_phone(resource: Element) -> str | None:
    for telecom in resource.elements("telecom", required=False):
        if telecom.raw("system") == "phone":
            return telecom.text("value")
    return None


def _read_organisation(contained: Contained, reference: Element) -> c.Organisation:
    organisation = contained.resolve(reference, "Organization")
    part_of = organisation.optional_obj("partOf")
    if part_of is None:
        return c.Organisation(name=organisation.text("name"))
    parent = contained.resolve(part_of, "Organization")
    return c.Organisation(name=parent.text("name"), department=organisation.text("name"))


def read_party(
    contained: Contained, reference: Element
) -> tuple[c.Organisation, c.Specialist | None]:
    """The organisation (and specialist) a reference to a PractitionerRole or Organization
    names; the role must name its organisation."""
    target = contained.resolve(reference, "PractitionerRole", "Organization")
    if target.raw("resourceType") == "Organization":
        return _read_organisation(contained, reference), None
    practitioner = contained.resolve(target.obj("practitioner"), "Practitioner")
    position = target.optional_first("code")
    specialist = c.Specialist(
        name=read_name(practitioner.first("name")),
        position=None if position is None else position.text("text"),
        phone=_read_phone(target),
    )
    return _read_organisation(contained, target.obj("organization")), specialist


def read_address(patient: Element) -> c.Address:
    """The family's address: the first address of the index child's Patient."""
    address = patient.first("address")
    line = address.texts("line")
    if len(line) not in (2, 3):
        raise TranslationError(address.path("line"), "expected street, house and flat")
    return c.Address(
        region=address.text("state"),
        district=address.optional_text("district"),
        locality=address.text("city"),
        street=line[0],
        house=line[1],
        flat=line[2] if len(line) == 3 else None,
        details=address.optional_text("text"),
    )


def read_child(contained: Contained, patient: Element) -> c.Child:
    """A child's Patient, with the health note of an Observation about it."""
    reference = f"#{patient.text('id')}"
    note = None
    for observation in contained.of_type("Observation"):
        if observation.obj("subject").text("reference") == reference:
            note = observation.text("valueString")
    return c.Child(
        name=read_name(patient.first("name")),
        birth_date=patient.date("birthDate"),
        sex=patient.optional_code("gender", _SEXES),
        health_note=note,
    )


def read_adult(person: Element) -> c.Adult:
    """A RelatedPerson: relationship (v3 RoleCode), name, birth date and phone."""
    relationship = person.first("relationship").coding(V3_ROLE)
    if relationship is None:
        raise TranslationError(person.path("relationship"), f"no {V3_ROLE} coding")
    return c.Adult(
        name=read_name(person.first("name")),
        birth_date=person.date("birthDate"),
        role=relationship.code("code", _ROLES_BACK),
        phone=_read_phone(person),
    )
