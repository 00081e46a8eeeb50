"""School exchange files (CSV rows) ⇄ canonical messages.

Inbound (school → hub), one function per file kind, each ``(rows, *, message_id, now)``:
an absence report row becomes a FamilyReferral (reason ``school_absence``), a status row an
ActionStatusUpdate, the rows of one periodic report a PeriodicReport, an answer row an
InformationResponse. ``records`` splits a file's rows into the row groups of one message.
Outbound (hub → school), ``from_canonical`` turns a message into ``(file name, rows)``: the
school's actions of a SupportPlan or ActionAssignment, an information request, a closure
notice, a notice of a receipt or decision, or one of the four inbound kinds.

Pure functions: the caller passes the MessageId and ``now``. Local times in a file (``ДД.ММ.ГГГГ
ЧЧ:ММ``) are in ``now``'s zone, which the gateway sets to the school's; the hub writes times in
the zone of the message's CreatedAt, the sender's region. Every error is a ``RowError``
naming the row (the header is row 1) and the column.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Final, Protocol

from lxml import etree

from adapters.education import columns as col
from adapters.education import outbound
from adapters.education.rows import (
    COMMENT,
    IDENTIFIER,
    LONG_TEXT,
    NAME,
    Row,
    RowError,
    RowReader,
    format_date,
)
from schemas import TranslationError
from schemas import canonical as c

__all__ = [
    "LAW",
    "SENDER",
    "ToCanonical",
    "from_canonical",
    "message_id_for",
    "records",
    "to_canonical",
]

SENDER: Final = "education"
#: Schools report families under the prevention law (ст. 14: organisations of education).
LAW: Final = "Федеральный закон от 24.06.1999 № 120-ФЗ, ст. 14"
#: uuid5 namespace of the MessageIds of school files.
_FILE_NAMESPACE: Final = uuid.UUID("0e7f3c52-4b1a-5d8e-a2f6-9c1d0b7e4a31")
_UUID: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: The envelope's CaseRef: the case owner's number in Latin letters, digits and ``-_/.``.
_CASE_REF: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-/.]{0,63}")


class ToCanonical(Protocol):
    """The translation of one file kind: the rows of one message → its unsigned envelope."""

    def __call__(
        self, rows: Sequence[Row], *, message_id: str, now: datetime
    ) -> etree._Element: ...


def message_id_for(school: str, file_name: str, digest: str, row: int) -> str:
    """The MessageId of the message starting at ``row`` of a file: the same on every reading.

    ``digest`` (of the file's bytes) tells apart two different files dropped under one name
    (an export tool that always writes ``absences.csv``); the same file read again after a
    crash gets the same MessageIds, so the hub answers ``replay.duplicate``.
    """
    return str(uuid.uuid5(_FILE_NAMESPACE, f"{school}/{file_name}/{digest}/{row}"))


def records(kind: col.FileKind, rows: Sequence[Row]) -> list[list[Row]]:
    """``rows`` split into the rows of each message, in file order.

    Raises:
        RowError: a row's key cell is blank.
    """
    if kind.key is None:
        return [[row] for row in rows]
    groups: dict[str, list[Row]] = {}
    for row in rows:
        key = row.values.get(kind.key, "").strip()
        if not key:
            raise RowError(row.number, kind.key, "empty")
        groups.setdefault(key, []).append(row)
    return list(groups.values())


# Native → canonical


def absences_to_canonical(rows: Sequence[Row], *, message_id: str, now: datetime) -> etree._Element:
    """One pupil with systematic absences → a FamilyReferral (reason ``school_absence``)."""
    cells = _single(rows, now)
    organisation = cells.text(col.ORGANISATION)
    absent_from, absent_to = cells.date(col.ABSENT_FROM), cells.date(col.ABSENT_TO)
    if absent_to < absent_from:
        raise cells.error(col.ABSENT_TO, f"before {col.ABSENT_FROM}")
    details = outbound.ABSENCE_DETAILS.format(
        lessons=cells.number(col.LESSONS_MISSED),
        start=format_date(absent_from),
        end=format_date(absent_to),
    )
    urgent = cells.optional_code(col.URGENT, col.YES_NO) or False
    referral = c.FamilyReferral(
        referral_id=cells.text(col.REFERRAL_ID, IDENTIFIER),
        detected_at=cells.moment(col.DETECTED_AT),
        organisation=c.Organisation(name=organisation),
        specialist=_specialist(cells, col.SPECIALIST),
        source="school_absence",
        address=c.Address(
            region=cells.text(col.REGION),
            district=cells.optional_text(col.DISTRICT),
            locality=cells.text(col.LOCALITY),
            street=cells.text(col.STREET),
            house=cells.text(col.HOUSE, IDENTIFIER),
            flat=cells.optional_text(col.FLAT, IDENTIFIER),
        ),
        adults=() if not cells.has(col.PARENT.last) else (_parent(cells),),
        children=(
            c.Child(
                name=_name(cells, col.CHILD),
                birth_date=cells.date(col.BIRTH_DATE),
                sex=cells.optional_code(col.SEX_COLUMN, col.SEX),
                institution=c.Institution(
                    kind="school",
                    name=organisation
                    + outbound.CLASS_SEPARATOR
                    + cells.text(col.CLASS, IDENTIFIER),
                ),
            ),
        ),
        reasons=(c.Reason(code="school_absence", details=details),),
        urgency="urgent" if urgent else "routine",
        circumstances=cells.optional_text(col.NOTE, LONG_TEXT),
    )
    return _envelope(
        referral, message_id=message_id, now=now, organisation=organisation, urgent=urgent
    )


def statuses_to_canonical(rows: Sequence[Row], *, message_id: str, now: datetime) -> etree._Element:
    """One status row → an ActionStatusUpdate for an action assigned to the school."""
    cells = _single(rows, now)
    organisation = cells.text(col.ORGANISATION)
    update = c.ActionStatusUpdate(
        action_id=cells.text(col.ACTION_ID, IDENTIFIER),
        plan_id=cells.optional_text(col.PLAN_ID, IDENTIFIER),
        status=cells.code(col.STATUS, col.STATUSES_RU),
        status_at=cells.moment(col.STATUS_AT),
        organisation=c.Organisation(name=organisation),
        specialist=_specialist(cells, col.SPECIALIST) if cells.has(col.SPECIALIST.last) else None,
        period=_optional_period(cells, col.PERIOD_FROM, col.PERIOD_TO),
        comment=cells.optional_text(col.COMMENT, COMMENT),
        evidence_ref=cells.optional_text(col.EVIDENCE),
    )
    return _envelope(
        update,
        message_id=message_id,
        now=now,
        organisation=organisation,
        case_ref=_optional_case_ref(cells),
        correlation_id=_optional_uuid(cells, col.ASSIGNMENT_ID),
    )


def report_to_canonical(rows: Sequence[Row], *, message_id: str, now: datetime) -> etree._Element:
    """The rows of one periodic report (one per action) → a PeriodicReport.

    The report's own cells (number, period, plan, summary…) must be the same in every row.
    A row with no action number and no status reports no action (a report with none).
    """
    cells = [RowReader(row, _zone(now)) for row in rows]
    first = cells[0]
    shared = [name for name in col.REPORT.columns if name not in col.REPORT_ACTION_COLUMNS]
    for other in cells[1:]:
        for name in shared:
            if other.row.values.get(name, "").strip() != first.row.values.get(name, "").strip():
                raise other.error(name, f"differs from row {first.row.number} of this report")
    actions: list[c.ActionReport] = []
    seen: dict[str, int] = {}
    for reader in cells:
        if not (reader.has(col.ACTION_ID) or reader.has(col.STATUS)):
            continue
        action_id = reader.text(col.ACTION_ID, IDENTIFIER)
        if action_id in seen:
            raise reader.error(col.ACTION_ID, f"repeats row {seen[action_id]}")
        seen[action_id] = reader.row.number
        actions.append(
            c.ActionReport(
                action_id=action_id,
                status=reader.code(col.STATUS, col.STATUSES_RU),
                summary=reader.optional_text(col.ACTION_SUMMARY, COMMENT),
            )
        )
    organisation = first.text(col.ORGANISATION)
    report = c.PeriodicReport(
        report_id=first.text(col.REPORT_ID, IDENTIFIER),
        period=_period(first, col.PERIOD_FROM, col.PERIOD_TO),
        organisation=c.Organisation(name=organisation),
        plan_id=first.text(col.PLAN_ID, IDENTIFIER),
        actions=tuple(actions),
        summary=first.optional_text(col.SUMMARY, LONG_TEXT),
        next_steps=first.optional_text(col.NEXT_STEPS, LONG_TEXT),
    )
    return _envelope(
        report,
        message_id=message_id,
        now=now,
        organisation=organisation,
        case_ref=_optional_case_ref(first),
    )


def answers_to_canonical(rows: Sequence[Row], *, message_id: str, now: datetime) -> etree._Element:
    """One answer row → an InformationResponse to the request it names."""
    cells = _single(rows, now)
    organisation = cells.text(col.ORGANISATION)
    response = c.InformationResponse(
        request_id=cells.text(col.REQUEST_ID, IDENTIFIER),
        responded_at=cells.moment(col.RESPONDED_AT),
        organisation=c.Organisation(name=organisation),
        answer=cells.optional_text(col.ANSWER, LONG_TEXT),
        health_information=cells.optional_text(col.HEALTH, LONG_TEXT),
        conduct_information=cells.optional_text(col.CONDUCT, LONG_TEXT),
        attachments_ref=cells.optional_text(col.ATTACHMENTS),
    )
    correlation_id = _optional_uuid(cells, col.REQUEST_MESSAGE_ID)
    if correlation_id is None:
        # The hub routes an answer to whoever sent the request it names.
        raise cells.error(col.REQUEST_MESSAGE_ID, "empty")
    return _envelope(
        response,
        message_id=message_id,
        now=now,
        organisation=organisation,
        case_ref=_optional_case_ref(cells),
        correlation_id=correlation_id,
    )


#: The translation of each inbound kind, by prefix.
_INBOUND: Final[Mapping[str, ToCanonical]] = {
    col.ABSENCES.prefix: absences_to_canonical,
    col.STATUSES.prefix: statuses_to_canonical,
    col.REPORT.prefix: report_to_canonical,
    col.ANSWERS.prefix: answers_to_canonical,
}


def to_canonical(
    kind: col.FileKind, rows: Sequence[Row], *, message_id: str, now: datetime
) -> etree._Element:
    """The unsigned envelope of one message of an inbound file kind (rows from ``records``).

    Raises:
        RowError: a cell is missing, malformed or carries an unknown code.
        TranslationError: ``kind`` is not a kind schools send (a programming error).
    """
    translate = _INBOUND.get(kind.prefix)
    if translate is None:
        raise TranslationError("kind", f"{kind.prefix} files go to schools, not from them")
    return translate(rows, message_id=message_id, now=now)


def _zone(now: datetime) -> tzinfo:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware: it sets the school's local time zone")
    return now.tzinfo


def _single(rows: Sequence[Row], now: datetime) -> RowReader:
    (row,) = rows
    return RowReader(row, _zone(now))


def _envelope(
    payload: c.Payload,
    *,
    message_id: str,
    now: datetime,
    organisation: str,
    urgent: bool = False,
    case_ref: str | None = None,
    correlation_id: str | None = None,
) -> etree._Element:
    return c.to_envelope(
        payload,
        message_id=message_id,
        sender=SENDER,
        organisation=organisation,
        created_at=now,
        priority="urgent" if urgent else "routine",
        law=LAW,
        case_ref=case_ref,
        correlation_id=correlation_id,
    )


def _name(cells: RowReader, person: col.Person) -> c.PersonName:
    return c.PersonName(
        last=cells.text(person.last, NAME),
        first=cells.text(person.first, NAME),
        middle=cells.optional_text(person.middle, NAME),
    )


def _specialist(cells: RowReader, person: col.Person) -> c.Specialist:
    return c.Specialist(
        name=_name(cells, person),
        position=cells.optional_text(person.position),
        phone=cells.phone(person.phone),
    )


def _parent(cells: RowReader) -> c.Adult:
    return c.Adult(
        name=_name(cells, col.PARENT),
        birth_date=cells.date(col.PARENT_BIRTH_DATE),
        role=cells.code(col.KINSHIP_COLUMN, col.KINSHIP),
        phone=cells.phone(col.PARENT.phone),
    )


def _period(cells: RowReader, start: str, end: str) -> c.Period:
    period = c.Period(start=cells.date(start), end=cells.optional_date(end))
    if period.end is not None and period.end < period.start:
        raise cells.error(end, f"before {start}")
    return period


def _optional_period(cells: RowReader, start: str, end: str) -> c.Period | None:
    if not (cells.has(start) or cells.has(end)):
        return None
    return _period(cells, start, end)


def _optional_case_ref(cells: RowReader) -> str | None:
    value = cells.optional_text(col.CASE_REF, IDENTIFIER)
    if value is not None and not _CASE_REF.fullmatch(value):
        raise cells.error(col.CASE_REF, "not a case number (Latin letters, digits, - _ / .)")
    return value


def _optional_uuid(cells: RowReader, column: str) -> str | None:
    value = cells.optional_text(column, IDENTIFIER)
    if value is None:
        return None
    if not _UUID.fullmatch(value.lower()):
        raise cells.error(column, "not a message identifier (UUID)")
    return value.lower()


# Canonical → native

#: A file's rows as written: column → cell, every column of its kind, ``""`` when blank.
NativeRows = list[dict[str, str]]


def from_canonical(
    envelope: etree._Element, *, school: str = outbound.SCHOOL_AGENCY
) -> tuple[str, NativeRows]:
    """The exchange file of a canonical message for ``school`` (the education agency's
    system, or one school's own partner code): its name and its rows (column → cell).

    The name is ``<kind>_<MessageId>.csv``, the same for every delivery of one message.
    Times are written in the zone of the envelope's CreatedAt.

    Raises:
        TranslationError: a message type schools do not exchange, a SupportPlan with no
            action for ``school``, or a malformed payload.
    """
    message = c.from_envelope(envelope)
    header = message.header
    kind, rows = outbound.rows_of(message, school=school)
    return f"{kind.prefix}_{header.message_id}.csv", [
        {name: row.get(name) or "" for name in kind.columns} for row in rows
    ]
