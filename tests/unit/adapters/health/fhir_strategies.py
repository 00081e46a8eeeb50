"""Hypothesis strategies for the FHIR resources a health system sends, within the profile.

Each strategy draws a resource in exactly the shape ``from_canonical`` writes back (contained
order, optional elements absent rather than empty), so a round trip can compare whole
resources. Values stay within what the canonical XSDs admit.
"""

from typing import Any

from hypothesis import strategies as st

from adapters.health.fhir import (
    EXT_ATTACHMENTS,
    EXT_ENVELOPE,
    EXT_INFORMATION_CLASS,
    REFERRAL_CODE,
    SYS_ACTION,
    SYS_ACTION_STATUS,
    SYS_PLAN,
    SYS_REASON,
    SYS_REFERRAL,
    SYS_REQUEST,
    SYS_SOURCE,
    SYS_TASK_OUTPUT,
    V3_ROLE,
)
from tests.unit.adapters.strategies import (
    birth_dates,
    identifiers,
    moments,
    names,
    phones,
    texts,
    uuids,
)

REASONS = [
    "neglect",
    "violence",
    "alcohol",
    "drugs",
    "school_absence",
    "newborn_at_risk",
    "poverty",
    "housing",
    "conflict",
    "abandonment_risk",
    "other",
]
#: Source channels a health system states explicitly; ``hospital`` is the absent default.
SOURCES = ["visit", "school_absence", "employment_centre", "neighbours", "hotline", "other"]
ROLES = ["MTH", "FTH", "GUARD", "FAMMEMB"]
#: Task statuses that survive the round trip (``failed`` comes back ``rejected``).
TASK_STATUSES = ["requested", "accepted", "in-progress", "completed", "rejected"]


def _drop_none(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if v is not None}


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


human_names = st.builds(
    lambda family, first, middle: {
        "family": family,
        "given": [first, *([middle] if middle else [])],
    },
    names,
    names,
    _optional(names),
)


@st.composite
def parties(draw: st.DrawFn, *, specialist: bool | None) -> tuple[list[Any], dict[str, str]]:
    """Contained Organization(s) and maybe a PractitionerRole, and the reference to use."""
    contained: list[Any] = [{"resourceType": "Organization", "id": "org", "name": draw(texts)}]
    reference = "#org"
    if draw(st.booleans()):
        contained.append(
            {
                "resourceType": "Organization",
                "id": "org-dept",
                "name": draw(texts),
                "partOf": {"reference": "#org"},
            }
        )
        reference = "#org-dept"
    if specialist if specialist is not None else draw(st.booleans()):
        contained.append(
            {"resourceType": "Practitioner", "id": "practitioner", "name": [draw(human_names)]}
        )
        position, phone = draw(_optional(texts)), draw(_optional(phones))
        contained.append(
            _drop_none(
                {
                    "resourceType": "PractitionerRole",
                    "id": "role",
                    "practitioner": {"reference": "#practitioner"},
                    "organization": {"reference": reference},
                    "code": None if position is None else [{"text": position}],
                    "telecom": None if phone is None else [{"system": "phone", "value": phone}],
                }
            )
        )
        reference = "#role"
    return contained, {"reference": reference}


@st.composite
def answered(draw: st.DrawFn) -> list[Any] | None:
    """The ``…:envelope`` extension of a reply (caseRef?, correlationId?), or none."""
    parts = []
    case_ref = draw(_optional(st.from_regex(r"KAM-20[0-9]{2}-[0-9]{6}", fullmatch=True)))
    if case_ref is not None:
        parts.append({"url": "caseRef", "valueString": case_ref})
    correlation_id = draw(_optional(uuids))
    if correlation_id is not None:
        parts.append({"url": "correlationId", "valueString": correlation_id})
    return [{"url": EXT_ENVELOPE, "extension": parts}] if parts else None


@st.composite
def service_requests(draw: st.DrawFn) -> dict[str, Any]:
    party, requester = draw(parties(specialist=True))
    flat, district, details = (
        draw(_optional(identifiers)),
        draw(_optional(texts)),
        draw(_optional(texts)),
    )
    address = _drop_none(
        {
            "text": details,
            "line": [draw(texts), draw(identifiers), *([flat] if flat else [])],
            "city": draw(texts),
            "district": district,
            "state": draw(texts),
        }
    )
    people: list[Any] = []
    for number in range(1, draw(st.integers(1, 3)) + 1):
        people.append(
            _drop_none(
                {
                    "resourceType": "Patient",
                    "id": f"child-{number}",
                    "name": [draw(human_names)],
                    "gender": draw(_optional(st.sampled_from(["male", "female"]))),
                    "birthDate": draw(birth_dates),
                    "address": [address] if number == 1 else None,
                }
            )
        )
        note = draw(_optional(texts))
        if note is not None:
            people.append(
                {
                    "resourceType": "Observation",
                    "id": f"child-{number}-note",
                    "status": "final",
                    "code": {"text": "Сведения о здоровье ребёнка"},
                    "subject": {"reference": f"#child-{number}"},
                    "valueString": note,
                }
            )
    for number in range(1, draw(st.integers(0, 2)) + 1):
        phone = draw(_optional(phones))
        people.append(
            _drop_none(
                {
                    "resourceType": "RelatedPerson",
                    "id": f"adult-{number}",
                    "patient": {"reference": "#child-1"},
                    "relationship": [
                        {"coding": [{"system": V3_ROLE, "code": draw(st.sampled_from(ROLES))}]}
                    ],
                    "name": [draw(human_names)],
                    "telecom": None if phone is None else [{"system": "phone", "value": phone}],
                    "birthDate": draw(birth_dates),
                }
            )
        )
    reasons = draw(
        st.lists(
            st.builds(
                lambda code, text: _drop_none(
                    {"coding": [{"system": SYS_REASON, "code": code}], "text": text}
                ),
                st.sampled_from(REASONS),
                _optional(texts),
            ),
            max_size=3,
            unique_by=lambda concept: concept["coding"][0]["code"],
        )
    )
    source = draw(_optional(st.sampled_from(SOURCES)))
    attachments = draw(_optional(texts))
    circumstances = draw(_optional(texts))
    return _drop_none(
        {
            "resourceType": "ServiceRequest",
            "contained": party + people,
            "extension": None
            if attachments is None
            else [{"url": EXT_ATTACHMENTS, "valueString": attachments}],
            "identifier": [{"system": SYS_REFERRAL, "value": draw(identifiers)}],
            "status": "active",
            "intent": "order",
            "category": None
            if source is None
            else [{"coding": [{"system": SYS_SOURCE, "code": source}]}],
            "priority": draw(st.sampled_from(["routine", "urgent"])),
            "code": REFERRAL_CODE,
            "subject": {"reference": "#child-1"},
            "authoredOn": draw(moments),
            "requester": requester,
            "reasonCode": reasons or None,
            "supportingInfo": [{"reference": f"#{p['id']}"} for p in people[1:]] or None,
            "note": None if circumstances is None else [{"text": circumstances}],
        }
    )


@st.composite
def tasks(draw: st.DrawFn) -> dict[str, Any]:
    contained, owner = draw(parties(specialist=None))
    overdue = draw(st.booleans())
    plan_id, start, end = draw(_optional(identifiers)), draw(_optional(birth_dates)), None
    if start is not None:
        end = draw(_optional(birth_dates))
    comment, evidence = draw(_optional(texts)), draw(_optional(texts))
    return _drop_none(
        {
            "resourceType": "Task",
            "contained": contained,
            "extension": draw(answered()),
            "identifier": [{"system": SYS_ACTION, "value": draw(identifiers)}],
            "basedOn": None
            if plan_id is None
            else [{"type": "CarePlan", "identifier": {"system": SYS_PLAN, "value": plan_id}}],
            "status": "in-progress" if overdue else draw(st.sampled_from(TASK_STATUSES)),
            "businessStatus": {"coding": [{"system": SYS_ACTION_STATUS, "code": "overdue"}]}
            if overdue
            else None,
            "intent": "order",
            "priority": draw(st.sampled_from(["routine", "urgent"])),
            "lastModified": draw(moments),
            "owner": owner,
            "executionPeriod": None if start is None else _drop_none({"start": start, "end": end}),
            "note": None if comment is None else [{"text": comment}],
            "output": None
            if evidence is None
            else [
                {
                    "type": {"coding": [{"system": SYS_TASK_OUTPUT, "code": "evidence"}]},
                    "valueString": evidence,
                }
            ],
        }
    )


@st.composite
def communications(draw: st.DrawFn) -> dict[str, Any]:
    contained, sender = draw(parties(specialist=False))
    payload: list[Any] = []
    health = draw(_optional(texts))
    if health is not None:
        payload.append({"contentString": health})
    for kind in ("social", "conduct"):
        text = draw(_optional(texts))
        if text is not None:
            payload.append(
                {
                    "extension": [{"url": EXT_INFORMATION_CLASS, "valueCode": kind}],
                    "contentString": text,
                }
            )
    attachments = draw(_optional(texts))
    if attachments is not None:
        payload.append({"contentAttachment": {"title": attachments}})
    return _drop_none(
        {
            "resourceType": "Communication",
            "contained": contained,
            "extension": draw(answered()),
            "basedOn": [
                {
                    "type": "CommunicationRequest",
                    "identifier": {"system": SYS_REQUEST, "value": draw(identifiers)},
                }
            ],
            "status": "completed",
            "priority": draw(st.sampled_from(["routine", "urgent"])),
            "sent": draw(moments),
            "sender": sender,
            "payload": payload or None,
        }
    )
