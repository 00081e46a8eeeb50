"""Information exchange: ``InformationRequest`` from social or kdn, ``InformationResponse`` back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree

from schemas.canonical.common import (
    Organisation,
    PersonName,
    Reader,
    add,
    add_day,
    add_moment,
    add_name_parts,
    add_optional,
    add_organisation,
    new_payload,
    read_name,
    read_organisation,
)

__all__ = ["InformationRequest", "InformationResponse", "RequestedPerson"]


@dataclass(frozen=True)
class RequestedPerson:
    """Whom a request is about: a name, and a birth date to tell namesakes apart."""

    name: PersonName
    birth_date: date | None = None


@dataclass(frozen=True)
class InformationRequest:
    """A question to another agency about a family, a child or an adult; explicit recipients."""

    request_id: str
    requested_at: datetime
    subject: str  # family | child | adult
    questions: str
    purpose: str
    due_by: date
    person: RequestedPerson | None = None


@dataclass(frozen=True)
class InformationResponse:
    """An agency's answer to an InformationRequest, split by sensitivity class."""

    request_id: str
    responded_at: datetime
    organisation: Organisation
    answer: str | None = None
    health_information: str | None = None
    conduct_information: str | None = None
    attachments_ref: str | None = None


def write_information_request(request: InformationRequest) -> etree._Element:
    root, ns = new_payload("InformationRequest")
    add(root, ns, "RequestId", request.request_id)
    add_moment(root, ns, "RequestedAt", request.requested_at)
    add(root, ns, "Subject", request.subject)
    if request.person is not None:
        # Person extends c:PersonName: the name parts first, then its own BirthDate.
        person = add(root, ns, "Person")
        add_name_parts(person, request.person.name)
        add_day(person, ns, "BirthDate", request.person.birth_date)
    add(root, ns, "Questions", request.questions)
    add(root, ns, "Purpose", request.purpose)
    add_day(root, ns, "DueBy", request.due_by)
    return root


def write_information_response(response: InformationResponse) -> etree._Element:
    root, ns = new_payload("InformationResponse")
    add(root, ns, "RequestId", response.request_id)
    add_moment(root, ns, "RespondedAt", response.responded_at)
    add_organisation(root, ns, "Organisation", response.organisation)
    add_optional(root, ns, "Answer", response.answer)
    add_optional(root, ns, "HealthInformation", response.health_information)
    add_optional(root, ns, "ConductInformation", response.conduct_information)
    add_optional(root, ns, "AttachmentsRef", response.attachments_ref)
    return root


def read_information_request(root: Reader) -> InformationRequest:
    person = root.optional("Person")
    return InformationRequest(
        request_id=root.token("RequestId"),
        requested_at=root.moment("RequestedAt"),
        subject=root.text("Subject"),
        person=None
        if person is None
        else RequestedPerson(name=read_name(person), birth_date=person.optional_day("BirthDate")),
        questions=root.text("Questions"),
        purpose=root.token("Purpose"),
        due_by=root.day("DueBy"),
    )


def read_information_response(root: Reader) -> InformationResponse:
    return InformationResponse(
        request_id=root.token("RequestId"),
        responded_at=root.moment("RespondedAt"),
        organisation=read_organisation(root.child("Organisation")),
        answer=root.optional_text("Answer"),
        health_information=root.optional_text("HealthInformation"),
        conduct_information=root.optional_text("ConductInformation"),
        attachments_ref=root.optional_token("AttachmentsRef"),
    )
