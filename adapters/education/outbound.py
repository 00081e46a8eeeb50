"""The files the hub writes for a school: the rows of each canonical message it may receive.

One writer per message type: the school's own actions of a SupportPlan or an
ActionAssignment, an information request, a closure notice, a notice of a receipt, decision
or delivery, and the four kinds schools send (so that every school file round-trips).
Times are written in the zone of the envelope's CreatedAt, the sender's region.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import tzinfo
from typing import Final

from adapters.education import columns as col
from adapters.education.rows import format_date, format_moment
from schemas import TranslationError
from schemas import canonical as c

__all__ = ["ABSENCE_DETAILS", "CLASS_SEPARATOR", "SCHOOL_AGENCY", "Cells", "rows_of"]

#: The agency of schools: its own system receives the plan's actions that name it.
SCHOOL_AGENCY: Final = "education"
#: How an absence report row's lessons and period are written into the referral's reason.
ABSENCE_DETAILS: Final = "Пропущено уроков без уважительной причины: {lessons} (с {start} по {end})"
_ABSENCE: Final = re.compile(
    r"Пропущено уроков без уважительной причины: (\d+) \(с (\S+) по (\S+)\)"
)
#: The child's institution is "<school>, класс <class>".
CLASS_SEPARATOR: Final = ", класс "

#: One row being written: column → cell, ``None`` for a blank cell.
Cells = dict[str, str | None]


def rows_of(
    message: c.CanonicalMessage, *, school: str = SCHOOL_AGENCY
) -> tuple[col.FileKind, list[Cells]]:
    """The file kind and rows of ``message`` for ``school``: the education agency's own
    system, or a school registered under it (``edu-school-12``), which gets only the
    plan's actions whose ResponsibleAgency names it.

    Raises:
        TranslationError: a type schools do not receive, a plan with no action for
            ``school``, or a value with no school label.
    """
    zone = message.header.created_at.tzinfo
    assert zone is not None  # DateTimeWithOffset: the XSD requires the offset
    writer = _WRITERS.get(type(message.payload))
    if writer is None:
        raise TranslationError(
            "MessageType", f"{message.header.message_type} is not sent to schools"
        )
    plan = message.payload
    if isinstance(plan, c.SupportPlan):
        mine = tuple(action for action in plan.actions if action.responsible_agency == school)
        if not mine:
            raise TranslationError("Actions", f"no action of the plan is assigned to {school}")
        message = replace(message, payload=replace(plan, actions=mine))
    return writer(message, zone)


def _referral_rows(message: c.CanonicalMessage, zone: tzinfo) -> tuple[col.FileKind, list[Cells]]:
    referral = message.payload
    assert isinstance(referral, c.FamilyReferral)
    if len(referral.children) != 1 or len(referral.adults) > 1:
        raise TranslationError("Family", "an absence report row has one pupil and one parent")
    (child,) = referral.children
    absence = _absence_of(referral)
    address = referral.address
    row: Cells = {
        col.REFERRAL_ID: referral.referral_id,
        col.DETECTED_AT: format_moment(referral.detected_at, zone),
        col.ORGANISATION: referral.organisation.name,
        **_specialist_cells(col.SPECIALIST, referral.specialist),
        **_name_cells(col.CHILD, child.name),
        col.BIRTH_DATE: format_date(child.birth_date),
        col.SEX_COLUMN: _label(col.SEX, child.sex),
        col.CLASS: _class_of(child.institution, referral.organisation.name),
        col.REGION: address.region,
        col.DISTRICT: address.district,
        col.LOCALITY: address.locality,
        col.STREET: address.street,
        col.HOUSE: address.house,
        col.FLAT: address.flat,
        col.LESSONS_MISSED: absence[0],
        col.ABSENT_FROM: absence[1],
        col.ABSENT_TO: absence[2],
        col.URGENT: _label(col.YES_NO, referral.urgency == "urgent"),
        col.NOTE: referral.circumstances,
    }
    for adult in referral.adults:
        row |= {
            **_name_cells(col.PARENT, adult.name),
            col.PARENT_BIRTH_DATE: format_date(adult.birth_date),
            col.KINSHIP_COLUMN: _label(col.KINSHIP, adult.role),
            col.PARENT.phone: adult.phone,
        }
    return col.ABSENCES, [row]


def _absence_of(referral: c.FamilyReferral) -> tuple[str, str, str]:
    for reason in referral.reasons:
        found = _ABSENCE.fullmatch(reason.details or "")
        if reason.code == "school_absence" and found:
            return found.group(1), found.group(2), found.group(3)
    raise TranslationError("Reasons", "no school_absence reason with the lessons missed")


def _class_of(institution: c.Institution | None, organisation: str) -> str | None:
    if institution is None:
        return None
    return institution.name.removeprefix(organisation + CLASS_SEPARATOR)


def _status_rows(message: c.CanonicalMessage, zone: tzinfo) -> tuple[col.FileKind, list[Cells]]:
    update = message.payload
    assert isinstance(update, c.ActionStatusUpdate)
    row: Cells = {
        col.CASE_REF: message.header.case_ref,
        col.ASSIGNMENT_ID: message.header.correlation_id,
        col.PLAN_ID: update.plan_id,
        col.ACTION_ID: update.action_id,
        col.STATUS: _label(col.STATUSES_RU, update.status),
        col.STATUS_AT: format_moment(update.status_at, zone),
        col.ORGANISATION: update.organisation.name,
        **_specialist_cells(col.SPECIALIST, update.specialist),
        **_period_cells(col.PERIOD_FROM, col.PERIOD_TO, update.period),
        col.COMMENT: update.comment,
        col.EVIDENCE: update.evidence_ref,
    }
    return col.STATUSES, [row]


def _report_rows(message: c.CanonicalMessage, zone: tzinfo) -> tuple[col.FileKind, list[Cells]]:
    report = message.payload
    assert isinstance(report, c.PeriodicReport)
    shared: Cells = {
        col.REPORT_ID: report.report_id,
        col.CASE_REF: message.header.case_ref,
        col.PLAN_ID: report.plan_id,
        **_period_cells(col.PERIOD_FROM, col.PERIOD_TO, report.period),
        col.ORGANISATION: report.organisation.name,
        col.SUMMARY: report.summary,
        col.NEXT_STEPS: report.next_steps,
    }
    rows: list[Cells] = [
        shared
        | {
            col.ACTION_ID: action.action_id,
            col.STATUS: _label(col.STATUSES_RU, action.status),
            col.ACTION_SUMMARY: action.summary,
        }
        for action in report.actions
    ]
    return col.REPORT, rows or [shared]


def _answer_rows(message: c.CanonicalMessage, zone: tzinfo) -> tuple[col.FileKind, list[Cells]]:
    response = message.payload
    assert isinstance(response, c.InformationResponse)
    row: Cells = {
        col.CASE_REF: message.header.case_ref,
        col.REQUEST_MESSAGE_ID: message.header.correlation_id,
        col.REQUEST_ID: response.request_id,
        col.RESPONDED_AT: format_moment(response.responded_at, zone),
        col.ORGANISATION: response.organisation.name,
        col.ANSWER: response.answer,
        col.HEALTH: response.health_information,
        col.CONDUCT: response.conduct_information,
        col.ATTACHMENTS: response.attachments_ref,
    }
    return col.ANSWERS, [row]


def _action_rows(message: c.CanonicalMessage, zone: tzinfo) -> tuple[col.FileKind, list[Cells]]:
    payload = message.payload
    document: Cells = {
        col.MESSAGE_ID: message.header.message_id,
        col.DOCUMENT: col.DOCUMENTS[message.header.message_type],
        col.CASE_REF: message.header.case_ref,
    }
    if isinstance(payload, c.ActionAssignment):
        return col.ACTIONS, [
            document
            | {
                col.PLAN_ID: payload.plan_id,
                col.PLAN_VERSION: str(payload.plan_version),
                col.ACTION_ID: payload.action_id,
                col.MEASURE: payload.measure,
                col.HELP_TYPE: _label(col.HELP_TYPES, payload.help_type),
                col.DEADLINE: format_date(payload.deadline),
                **_specialist_cells(col.SPECIALIST, payload.specialist),
                col.NOTE: payload.comment,
            }
        ]
    assert isinstance(payload, c.SupportPlan)
    plan: Cells = document | {
        col.PLAN_ID: payload.plan_id,
        col.PLAN_VERSION: str(payload.version),
        **_period_cells(col.PLAN_FROM, col.PLAN_TO, payload.period),
        col.APPROVED_AT: format_moment(payload.approved_at, zone),
        col.APPROVED_BY: payload.approved_by,
        **_specialist_cells(col.CURATOR, payload.curator),
        col.GOALS: payload.goals,
    }
    rows: list[Cells] = [
        plan
        | {
            col.ACTION_ID: action.action_id,
            col.MEASURE: action.measure,
            col.HELP_TYPE: _label(col.HELP_TYPES, action.help_type),
            col.DEADLINE: format_date(action.deadline),
            col.EXECUTOR: None
            if action.responsible_organisation is None
            else action.responsible_organisation.name,
            **_specialist_cells(col.SPECIALIST, action.specialist),
            col.NOTE: action.notes,
        }
        for action in payload.actions
    ]
    return col.ACTIONS, rows


def _request_rows(message: c.CanonicalMessage, zone: tzinfo) -> tuple[col.FileKind, list[Cells]]:
    request = message.payload
    assert isinstance(request, c.InformationRequest)
    person = request.person
    row: Cells = {
        col.MESSAGE_ID: message.header.message_id,
        col.CASE_REF: message.header.case_ref,
        col.REQUEST_ID: request.request_id,
        col.REQUESTED_AT: format_moment(request.requested_at, zone),
        col.SENDER_ORGANISATION: message.header.sender_organisation,
        col.SUBJECT: _label(col.SUBJECTS, request.subject),
        col.QUESTIONS: request.questions,
        col.PURPOSE: request.purpose,
        col.DUE_BY: format_date(request.due_by),
    }
    if person is not None:
        row |= _name_cells(col.CHILD, person.name)
        row[col.BIRTH_DATE] = None if person.birth_date is None else format_date(person.birth_date)
    return col.REQUEST, [row]


def _closure_rows(message: c.CanonicalMessage, zone: tzinfo) -> tuple[col.FileKind, list[Cells]]:
    closure = message.payload
    assert isinstance(closure, c.CaseClosure)
    body = closure.decision_body
    row: Cells = {
        col.MESSAGE_ID: message.header.message_id,
        col.CASE_REF: message.header.case_ref,
        col.CLOSED_AT: format_moment(closure.closed_at, zone),
        col.CLOSURE_REASON: _label(col.CLOSURE_REASONS, closure.reason),
        col.BODY_KIND: None if body is None else _label(col.DECISION_BODIES, body.kind),
        col.BODY_NAME: None if body is None else body.name,
        **_period_cells(col.POST_FROM, col.POST_TO, closure.post_support),
        col.COMMENT: closure.comment,
        col.SENDER_ORGANISATION: message.header.sender_organisation,
    }
    return col.CLOSURE, [row]


def _notice_rows(message: c.CanonicalMessage, zone: tzinfo) -> tuple[col.FileKind, list[Cells]]:
    header, payload = message.header, message.payload
    row: Cells = {
        col.MESSAGE_ID: header.message_id,
        col.CASE_REF: header.case_ref,
        col.NOTICE_KIND: col.NOTICE_KINDS[header.message_type],
        col.IN_REPLY_TO: header.correlation_id,
        col.SENDER_ORGANISATION: header.sender_organisation,
    }
    curator: c.Specialist | None = None
    if isinstance(payload, c.ReferralReceipt):
        curator = payload.curator
        row |= {
            col.IN_REPLY_TO: payload.referral_message_id,
            col.NOTICE_AT: format_moment(payload.received_at, zone),
            col.NUMBER: payload.registration_number,
            col.OUTCOME: _label(col.RECEIPT_OUTCOMES, payload.outcome),
            col.COMMENT: payload.comment,
        }
    elif isinstance(payload, c.CaseDecision):
        curator = payload.curator
        outcome = _label(col.DECISION_OUTCOMES, payload.outcome)
        if payload.category is not None:
            outcome = f"{outcome} ({_label(col.CATEGORIES, payload.category)})"
        row |= {
            col.NOTICE_AT: format_moment(payload.decided_at, zone),
            col.NUMBER: payload.protocol_ref or payload.decision_id,
            col.OUTCOME: outcome,
            col.COMMENT: payload.decision_body.name,
        }
    else:
        assert isinstance(payload, c.DeliveryReceipt)
        row |= {
            col.IN_REPLY_TO: payload.delivered_message_id,
            col.NOTICE_AT: format_moment(payload.at, zone),
            col.NUMBER: payload.remote_reference,
            col.OUTCOME: _label(col.DELIVERY_OUTCOMES, payload.outcome),
            col.COMMENT: payload.reason,
        }
    if curator is not None:
        name = curator.name
        row[col.CURATOR_NAME] = " ".join(p for p in (name.last, name.first, name.middle) if p)
        row[col.CURATOR.phone] = curator.phone
    return col.NOTICE, [row]


_WRITERS: Final[
    Mapping[type, Callable[[c.CanonicalMessage, tzinfo], tuple[col.FileKind, list[Cells]]]]
] = {
    c.FamilyReferral: _referral_rows,
    c.ActionStatusUpdate: _status_rows,
    c.PeriodicReport: _report_rows,
    c.InformationResponse: _answer_rows,
    c.SupportPlan: _action_rows,
    c.ActionAssignment: _action_rows,
    c.InformationRequest: _request_rows,
    c.CaseClosure: _closure_rows,
    c.ReferralReceipt: _notice_rows,
    c.CaseDecision: _notice_rows,
    c.DeliveryReceipt: _notice_rows,
}


def _label(table: Mapping[str, object], code: object) -> str | None:
    """The first Russian label of ``code`` in ``table`` (label → code), or ``None``."""
    if code is None:
        return None
    for label, value in table.items():
        if value == code:
            return label
    raise TranslationError("code", f"no school label for {code!r}")


def _name_cells(person: col.Person, name: c.PersonName) -> Cells:
    return {person.last: name.last, person.first: name.first, person.middle: name.middle}


def _specialist_cells(person: col.Person, specialist: c.Specialist | None) -> Cells:
    if specialist is None:
        return {}
    return _name_cells(person, specialist.name) | {
        person.position: specialist.position,
        person.phone: specialist.phone,
    }


def _period_cells(start: str, end: str, period: c.Period | None) -> Cells:
    if period is None:
        return {}
    return {
        start: format_date(period.start),
        end: None if period.end is None else format_date(period.end),
    }
