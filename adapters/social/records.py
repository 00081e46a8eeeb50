"""The social centre's JSON shapes of people, organisations and places ⇄ canonical types.

Shared by the centre's event translations (``translate``): a person is
``{"last_name", "first_name", "middle_name", "position", "phone"}``, an organisation
``{"name", "department"}``, a period ``{"from", "to"}``. Readers take ``Fields`` and raise
``TranslationError`` naming the field; writers drop absent values (``compact``).
"""

from __future__ import annotations

from collections.abc import Mapping

from adapters.native import Fields, compact
from schemas import TranslationError
from schemas import canonical as c

__all__ = [
    "address",
    "address_record",
    "child",
    "child_record",
    "decision_body",
    "decision_body_record",
    "name",
    "name_record",
    "optional_person_record",
    "optional_specialist",
    "organisation",
    "organisation_record",
    "period",
    "period_record",
    "positive_integer",
    "refuse_repeated_actions",
    "specialist",
]

SEX: dict[str, str] = {"male": "male", "female": "female"}
INSTITUTIONS: dict[str, str] = {v: v for v in ("kindergarten", "school", "college", "other")}
DECISION_BODIES: dict[str, str] = {
    v: v for v in ("kdn", "council", "working_group", "interagency_commission")
}


# Native → canonical


def positive_integer(record: Mapping[str, object], fields: Fields, key: str) -> int:
    """A required positive JSON integer (a plan version) of ``record``, read via ``fields``."""
    value = record.get(key)
    if value is None:
        raise TranslationError(fields.path(key), "missing")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TranslationError(fields.path(key), "not a positive integer")
    return value


def refuse_repeated_actions(items: list[Fields]) -> None:
    """Each action once per plan or report: a second line for one ActionId is refused."""
    seen: set[str] = set()
    for item in items:
        action_id = item.text("action_id")
        if action_id in seen:
            raise TranslationError(item.path("action_id"), "repeated action")
        seen.add(action_id)


def name(fields: Fields) -> c.PersonName:
    return c.PersonName(
        last=fields.text("last_name"),
        first=fields.text("first_name"),
        middle=fields.optional_text("middle_name"),
    )


def organisation(fields: Fields) -> c.Organisation:
    return c.Organisation(name=fields.text("name"), department=fields.optional_text("department"))


def specialist(fields: Fields) -> c.Specialist:
    return c.Specialist(
        name=name(fields),
        position=fields.optional_text("position"),
        phone=fields.optional_text("phone"),
    )


def optional_specialist(fields: Fields | None) -> c.Specialist | None:
    return None if fields is None else specialist(fields)


def curator(fields: Fields) -> c.Curator:
    """The curator with the centre's staff id for them (``staff_id``), when it gives one."""
    return c.Curator(
        name=name(fields),
        position=fields.optional_text("position"),
        phone=fields.optional_text("phone"),
        staff_id=fields.optional_text("staff_id"),
    )


def optional_curator(fields: Fields | None) -> c.Curator | None:
    return None if fields is None else curator(fields)


def period(fields: Fields) -> c.Period:
    return c.Period(start=fields.date("from"), end=fields.optional_date("to"))


def decision_body(fields: Fields) -> c.DecisionBody:
    return c.DecisionBody(kind=fields.code("kind", DECISION_BODIES), name=fields.text("name"))


def address(fields: Fields) -> c.Address:
    return c.Address(
        region=fields.text("region"),
        district=fields.optional_text("district"),
        locality=fields.text("locality"),
        street=fields.text("street"),
        house=fields.text("house"),
        flat=fields.optional_text("flat"),
        details=fields.optional_text("details"),
    )


def child(fields: Fields) -> c.Child:
    institution = fields.optional_obj("institution")
    return c.Child(
        name=name(fields),
        birth_date=fields.date("birth_date"),
        sex=fields.optional_code("sex", SEX),
        institution=None
        if institution is None
        else c.Institution(
            kind=institution.code("kind", INSTITUTIONS), name=institution.text("name")
        ),
        health_note=fields.optional_text("health_note"),
    )


# Canonical → native


def name_record(person: c.PersonName) -> dict[str, object]:
    return compact(
        {"last_name": person.last, "first_name": person.first, "middle_name": person.middle}
    )


def organisation_record(org: c.Organisation) -> dict[str, object]:
    return compact({"name": org.name, "department": org.department})


def optional_person_record(person: c.Specialist | None) -> dict[str, object] | None:
    if person is None:
        return None
    staff_id = person.staff_id if isinstance(person, c.Curator) else None
    return compact(
        {
            **name_record(person.name),
            "position": person.position,
            "phone": person.phone,
            "staff_id": staff_id,
        }
    )


def period_record(value: c.Period) -> dict[str, object]:
    return compact(
        {
            "from": value.start.isoformat(),
            "to": None if value.end is None else value.end.isoformat(),
        }
    )


def decision_body_record(body: c.DecisionBody) -> dict[str, object]:
    return {"kind": body.kind, "name": body.name}


def address_record(value: c.Address) -> dict[str, object]:
    return compact(
        {
            "region": value.region,
            "district": value.district,
            "locality": value.locality,
            "street": value.street,
            "house": value.house,
            "flat": value.flat,
            "details": value.details,
        }
    )


def child_record(value: c.Child) -> dict[str, object]:
    return compact(
        {
            **name_record(value.name),
            "birth_date": value.birth_date.isoformat(),
            "sex": value.sex,
            "institution": None
            if value.institution is None
            else {"kind": value.institution.kind, "name": value.institution.name},
            "health_note": value.health_note,
        }
    )
