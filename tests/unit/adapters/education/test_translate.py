"""School files ⇄ canonical: golden files both ways, round-trip properties, row/column errors."""

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

import schemas
from adapters.education import columns as col
from adapters.education import csvfile
from adapters.education.rows import Row, RowError
from adapters.education.translate import from_canonical, message_id_for, records, to_canonical
from schemas import TranslationError
from schemas import canonical as c
from tests.unit.adapters import strategies as s
from tests.unit.adapters.education import golden


@pytest.mark.parametrize("path", golden.inbox_files(), ids=lambda p: p.name)
def test_a_golden_school_file_becomes_its_golden_envelopes(path: Path) -> None:
    for group, envelope in golden.inbox_messages(path):
        expected = etree.parse(path.with_name(f"{path.stem}.row{group[0].number}.xml")).getroot()
        assert golden.canonical_text(envelope) == golden.canonical_text(expected)
        schemas.validate_envelope(envelope)
        schemas.validate_payload(envelope, schemas.read_header(envelope))


@pytest.mark.parametrize("path", golden.inbox_files(), ids=lambda p: p.name)
def test_a_golden_school_file_comes_back_from_its_envelopes(path: Path) -> None:
    kind = golden.file_kind(path)
    for group, envelope in golden.inbox_messages(path):
        name, rows = from_canonical(envelope)
        assert name == f"{kind.prefix}_{schemas.read_header(envelope).message_id}.csv"
        assert rows == [{k: row.values.get(k, "") for k in kind.columns} for row in group]


def test_the_cp1251_file_reads_like_its_utf8_twin() -> None:
    raw = (golden.INBOX / "absences_paratunka.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    (_group, envelope), *_ = golden.inbox_messages(golden.INBOX / "absences_paratunka.csv")
    referral = c.from_envelope(envelope).payload
    assert isinstance(referral, c.FamilyReferral)
    # "Ёжи", "Ёлкина", «» and № survive the Windows-1251 round trip.
    assert referral.children[0].name.first == "Ёжи"
    assert referral.specialist.name.last == "Ёлкина"
    assert referral.source == "school_absence"
    assert [r.code for r in referral.reasons] == ["school_absence"]


@pytest.mark.parametrize("stem", sorted(golden.outbound_messages()))
def test_a_golden_outbound_message_becomes_its_golden_file(stem: str) -> None:
    envelope = etree.parse(golden.OUTBOX / f"{stem}.xml").getroot()
    name, data = golden.outbound_file(envelope)
    assert name.endswith(f"_{schemas.read_header(envelope).message_id}.csv")
    assert data == (golden.OUTBOX / f"{stem}.csv").read_bytes()


def test_a_plan_gives_the_school_only_its_own_actions() -> None:
    _, rows = from_canonical(golden.outbound_messages()["plan"])
    assert [row[col.ACTION_ID] for row in rows] == ["ИПСС-2026/031-4", "ИПСС-2026/031-5"]
    assert {row[col.DOCUMENT] for row in rows} == {"ИПСС"}


def test_a_plan_without_school_actions_cannot_be_written() -> None:
    plan = c.from_envelope(golden.outbound_messages()["plan"]).payload
    assert isinstance(plan, c.SupportPlan)
    others = c.SupportPlan(**{**plan.__dict__, "actions": plan.actions[:1]})
    with pytest.raises(TranslationError) as caught:
        from_canonical(golden.outbound(others, message_id=golden.ASSIGNMENT_ID))
    assert caught.value.field == "Actions"


def test_a_message_schools_do_not_exchange_is_refused() -> None:
    act = c.SurveyAct(
        survey_id="А-1",
        surveyed_at=golden.NOW,
        organisation=c.Organisation(golden.CENTRE),
        specialists=(golden.CURATOR,),
        risk_level="high",
        needs_support=True,
    )
    with pytest.raises(TranslationError) as caught:
        from_canonical(golden.outbound(act, message_id=golden.ASSIGNMENT_ID))
    assert caught.value.field == "MessageType"


def test_message_ids_are_stable_and_tell_files_and_rows_apart() -> None:
    first = message_id_for("school-3", "absences.csv", "aa", 2)
    assert first == message_id_for("school-3", "absences.csv", "aa", 2)
    assert (
        len(
            {
                first,
                *(
                    message_id_for("school-3", "absences.csv", d, r)
                    for d, r in [("bb", 2), ("aa", 3)]
                ),
            }
        )
        == 3
    )
    assert len({first, message_id_for("school-4", "absences.csv", "aa", 2)}) == 2


# Errors name the row and the column


def _rows(name: str) -> tuple[col.FileKind, list[Row]]:
    path = golden.INBOX / name
    kind = golden.file_kind(path)
    return kind, csvfile.parse(path.read_bytes(), kind.columns)


def _with(row: Row, **changes: str | None) -> Row:
    values = dict(row.values)
    for column, value in changes.items():
        if value is None:
            del values[column]
        else:
            values[column] = value
    return Row(row.number, values)


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        (col.BIRTH_DATE, "31.02.2013", "not a date (ДД.ММ.ГГГГ)"),
        (col.DETECTED_AT, "14.03.2026", "not a date and time (ДД.ММ.ГГГГ ЧЧ:ММ)"),
        (col.SEX_COLUMN, "X", "unknown code; expected one of: М, Ж"),
        (col.KINSHIP_COLUMN, "бабушка", "unknown code; expected one of: мать, отец, опекун, иное"),
        (col.LESSONS_MISSED, "много", "not a positive whole number"),
        (col.ABSENT_TO, "01.01.2026", "before Пропуски с"),
        (col.CHILD.first, "  ", "empty"),
        (col.SPECIALIST.phone, "звонить завучу", "not a phone number"),
        (col.CHILD.last, "Я" * 101, "longer than 100 characters"),
        (col.HOUSE, None, "missing column"),
    ],
)
def test_a_bad_absence_cell_is_named_by_row_and_column(
    column: str, value: str | None, reason: str
) -> None:
    kind, rows = _rows("absences_2026-03-14.csv")
    bad = _with(rows[0], **{column: value})
    with pytest.raises(RowError) as caught:
        to_canonical(kind, [bad], message_id=golden.ASSIGNMENT_ID, now=golden.NOW)
    assert (caught.value.row, caught.value.column, caught.value.reason) == (2, column, reason)
    assert caught.value.field == f"row 2, column {column}"


def test_a_status_names_its_bad_case_number_and_assignment_id() -> None:
    kind, rows = _rows("statuses_2026-03-20.csv")
    for column, value, reason in [
        (col.CASE_REF, "СРЦ-2026/0147", "not a case number (Latin letters, digits, - _ / .)"),
        (col.ASSIGNMENT_ID, "поручение 5", "not a message identifier (UUID)"),
        (
            col.STATUS,
            "готово",
            "unknown code; expected one of: назначено, принято, выполняется, "
            "выполнено, невозможно выполнить, просрочено",
        ),
    ]:
        with pytest.raises(RowError) as caught:
            to_canonical(
                kind,
                [_with(rows[1], **{column: value})],
                message_id=golden.ASSIGNMENT_ID,
                now=golden.NOW,
            )
        assert (caught.value.row, caught.value.column, caught.value.reason) == (3, column, reason)


def test_statuses_are_read_whatever_their_case_and_yo() -> None:
    kind, rows = _rows("statuses_2026-03-20.csv")
    envelope = to_canonical(
        kind,
        [_with(rows[1], **{col.STATUS: "  ВЫПОЛНЕНО "})],
        message_id=golden.ASSIGNMENT_ID,
        now=golden.NOW,
    )
    payload = c.from_envelope(envelope).payload
    assert isinstance(payload, c.ActionStatusUpdate)
    assert payload.status == "done"


def test_the_rows_of_one_report_must_agree_on_the_report() -> None:
    kind, rows = _rows("report_2026-q1.csv")
    rows[1] = _with(rows[1], **{col.PERIOD_TO: "30.06.2026"})
    with pytest.raises(RowError) as caught:
        to_canonical(kind, rows, message_id=golden.ASSIGNMENT_ID, now=golden.NOW)
    assert (caught.value.row, caught.value.column) == (3, col.PERIOD_TO)
    assert caught.value.reason == "differs from row 2 of this report"


def test_a_report_may_not_list_an_action_twice() -> None:
    kind, rows = _rows("report_2026-q1.csv")
    rows[1] = _with(rows[1], **{col.ACTION_ID: rows[0].values[col.ACTION_ID]})
    with pytest.raises(RowError) as caught:
        to_canonical(kind, rows, message_id=golden.ASSIGNMENT_ID, now=golden.NOW)
    assert (caught.value.row, caught.value.column, caught.value.reason) == (
        3,
        col.ACTION_ID,
        "repeats row 2",
    )


def test_an_answer_needs_the_request_it_answers() -> None:
    kind, rows = _rows("answers_2026-03-18.csv")
    with pytest.raises(RowError) as caught:
        to_canonical(
            kind,
            [_with(rows[0], **{col.REQUEST_MESSAGE_ID: ""})],
            message_id=golden.ASSIGNMENT_ID,
            now=golden.NOW,
        )
    assert (caught.value.row, caught.value.column, caught.value.reason) == (
        2,
        col.REQUEST_MESSAGE_ID,
        "empty",
    )


def test_rows_of_a_report_without_a_number_are_refused() -> None:
    kind, rows = _rows("report_2026-q1.csv")
    with pytest.raises(RowError) as caught:
        records(kind, [rows[0], _with(rows[1], **{col.REPORT_ID: ""})])
    assert (caught.value.row, caught.value.column) == (3, col.REPORT_ID)


def test_local_times_are_read_in_the_school_zone() -> None:
    kind, rows = _rows("statuses_2026-03-20.csv")
    moscow = datetime(2026, 3, 20, 9, 0, tzinfo=timezone(timedelta(hours=3)))
    envelope = to_canonical(kind, [rows[0]], message_id=golden.ASSIGNMENT_ID, now=moscow)
    payload = c.from_envelope(envelope).payload
    assert isinstance(payload, c.ActionStatusUpdate)
    status_at = payload.status_at
    assert status_at.isoformat() == "2026-03-20T10:05:00+03:00"


# Round trips: whatever a school may write comes back unchanged


_dates = st.dates(datetime(2000, 1, 1).date(), datetime(2030, 12, 31).date())
_moments = st.datetimes(datetime(2000, 1, 1), datetime(2030, 1, 1)).map(
    lambda d: d.replace(second=0, microsecond=0).strftime("%d.%m.%Y %H:%M")
)
_case_refs = st.from_regex(r"[A-Z]{3}-20[0-9]{2}-[0-9]{4}", fullmatch=True)


def _optional(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """An empty cell or a value of ``strategy``."""
    return st.one_of(st.just(""), strategy)


def _fmt(day: date) -> str:
    return day.strftime("%d.%m.%Y")


@st.composite
def status_rows(draw: st.DrawFn) -> dict[str, str]:
    start = draw(st.one_of(st.none(), _dates))
    end = None if start is None else draw(st.one_of(st.none(), _dates.filter(lambda d: d >= start)))
    with_specialist = draw(st.booleans())
    return {
        col.CASE_REF: draw(_optional(_case_refs)),
        col.ASSIGNMENT_ID: draw(_optional(s.uuids)),
        col.PLAN_ID: draw(_optional(s.identifiers)),
        col.ACTION_ID: draw(s.identifiers),
        col.STATUS: draw(st.sampled_from(list(col.STATUSES_RU))),
        col.STATUS_AT: draw(_moments),
        col.ORGANISATION: draw(s.texts),
        col.SPECIALIST.last: draw(s.names) if with_specialist else "",
        col.SPECIALIST.first: draw(s.names) if with_specialist else "",
        col.SPECIALIST.middle: draw(_optional(s.names)) if with_specialist else "",
        col.SPECIALIST.position: draw(_optional(s.texts)) if with_specialist else "",
        col.SPECIALIST.phone: draw(_optional(s.phones)) if with_specialist else "",
        col.PERIOD_FROM: "" if start is None else _fmt(start),
        col.PERIOD_TO: "" if end is None else _fmt(end),
        col.COMMENT: draw(_optional(s.texts)),
        col.EVIDENCE: draw(_optional(s.texts)),
    }


@st.composite
def absence_rows(draw: st.DrawFn) -> dict[str, str]:
    start = draw(_dates)
    with_parent = draw(st.booleans())
    return {
        col.REFERRAL_ID: draw(s.identifiers),
        col.DETECTED_AT: draw(_moments),
        col.ORGANISATION: draw(s.texts),
        col.SPECIALIST.last: draw(s.names),
        col.SPECIALIST.first: draw(s.names),
        col.SPECIALIST.middle: draw(_optional(s.names)),
        col.SPECIALIST.position: draw(_optional(s.texts)),
        col.SPECIALIST.phone: draw(_optional(s.phones)),
        col.CHILD.last: draw(s.names),
        col.CHILD.first: draw(s.names),
        col.CHILD.middle: draw(_optional(s.names)),
        col.BIRTH_DATE: _fmt(draw(_dates)),
        col.SEX_COLUMN: draw(st.sampled_from(["", "М", "Ж"])),
        col.CLASS: draw(st.from_regex(r"(1[01]|[1-9]) «[А-Г]»", fullmatch=True)),
        col.REGION: draw(s.texts),
        col.DISTRICT: draw(_optional(s.texts)),
        col.LOCALITY: draw(s.texts),
        col.STREET: draw(s.texts),
        col.HOUSE: draw(st.from_regex(r"[0-9]{1,3}[а-г]?", fullmatch=True)),
        col.FLAT: draw(_optional(st.from_regex(r"[0-9]{1,3}", fullmatch=True))),
        col.PARENT.last: draw(s.names) if with_parent else "",
        col.PARENT.first: draw(s.names) if with_parent else "",
        col.PARENT.middle: draw(_optional(s.names)) if with_parent else "",
        col.PARENT_BIRTH_DATE: _fmt(draw(_dates)) if with_parent else "",
        col.KINSHIP_COLUMN: draw(st.sampled_from(list(col.KINSHIP))) if with_parent else "",
        col.PARENT.phone: draw(_optional(s.phones)) if with_parent else "",
        col.LESSONS_MISSED: str(draw(st.integers(1, 999))),
        col.ABSENT_FROM: _fmt(start),
        col.ABSENT_TO: _fmt(draw(_dates.filter(lambda d: d >= start))),
        col.URGENT: draw(st.sampled_from(["да", "нет"])),
        col.NOTE: draw(_optional(s.texts)),
    }


@st.composite
def report_rows(draw: st.DrawFn) -> list[dict[str, str]]:
    start = draw(_dates)
    shared = {
        col.REPORT_ID: draw(s.identifiers),
        col.CASE_REF: draw(_optional(_case_refs)),
        col.PLAN_ID: draw(s.identifiers),
        col.PERIOD_FROM: _fmt(start),
        col.PERIOD_TO: draw(_optional(_dates.filter(lambda d: d >= start).map(_fmt))),
        col.ORGANISATION: draw(s.texts),
    }
    tail = {col.SUMMARY: draw(_optional(s.texts)), col.NEXT_STEPS: draw(_optional(s.texts))}
    action_ids = draw(st.lists(s.identifiers, max_size=4, unique=True))
    actions = [
        {
            col.ACTION_ID: action_id,
            col.STATUS: draw(st.sampled_from(list(col.STATUSES_RU))),
            col.ACTION_SUMMARY: draw(_optional(s.texts)),
        }
        for action_id in action_ids
    ] or [{col.ACTION_ID: "", col.STATUS: "", col.ACTION_SUMMARY: ""}]
    return [
        {name: (shared | action | tail)[name] for name in col.REPORT.columns} for action in actions
    ]


@st.composite
def answer_rows(draw: st.DrawFn) -> dict[str, str]:
    return {
        col.CASE_REF: draw(_optional(_case_refs)),
        col.REQUEST_MESSAGE_ID: draw(s.uuids),
        col.REQUEST_ID: draw(s.identifiers),
        col.RESPONDED_AT: draw(_moments),
        col.ORGANISATION: draw(s.texts),
        col.ANSWER: draw(_optional(s.texts)),
        col.HEALTH: draw(_optional(s.texts)),
        col.CONDUCT: draw(_optional(s.texts)),
        col.ATTACHMENTS: draw(_optional(s.texts)),
    }


_files = st.one_of(
    st.tuples(st.just(col.ABSENCES), st.lists(absence_rows(), min_size=1, max_size=3)),
    st.tuples(st.just(col.STATUSES), st.lists(status_rows(), min_size=1, max_size=3)),
    st.tuples(st.just(col.REPORT), report_rows()),
    st.tuples(st.just(col.ANSWERS), st.lists(answer_rows(), min_size=1, max_size=3)),
)


@settings(max_examples=60, deadline=None)
@given(file=_files, encoding=st.sampled_from(csvfile.ENCODINGS), hours=st.integers(2, 12))
def test_school_files_survive_the_round_trip_through_canonical(
    file: tuple[col.FileKind, list[dict[str, str]]], encoding: str, hours: int
) -> None:
    kind, rows = file
    written = [{name: row[name] for name in kind.columns} for row in rows]
    raw = csvfile.encode(csvfile.render(written), encoding)
    zone = timezone(timedelta(hours=hours))
    back: list[dict[str, str]] = []
    for group in records(kind, csvfile.parse(raw, kind.columns)):
        envelope = to_canonical(
            kind, group, message_id=golden.ASSIGNMENT_ID, now=datetime.now(zone)
        )
        schemas.validate_envelope(envelope)
        schemas.validate_payload(envelope, schemas.read_header(envelope))
        _, file_rows = from_canonical(envelope)
        back.extend(file_rows)
    assert back == written
