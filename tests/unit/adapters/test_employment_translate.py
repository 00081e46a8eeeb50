"""Employment centre records ⇄ canonical: round trips, outbound records, named errors."""

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

import schemas
from adapters.employment import translate
from schemas import TranslationError
from tests.unit.adapters import golden
from tests.unit.adapters.strategies import (
    birth_dates,
    identifiers,
    moments,
    names,
    phones,
    texts,
    uuids,
)

NOW = datetime(2026, 3, 15, tzinfo=UTC)

case_refs = st.from_regex(r"KAM-20[0-9]{2}-[0-9]{6}", fullmatch=True)
centres = st.fixed_dictionaries({"name": texts}, optional={"department": texts})
_person = {"surname": names, "name": names}
counsellors = st.fixed_dictionaries(
    _person, optional={"patronymic": names, "position": texts, "phone": phones}
)
adults = st.fixed_dictionaries(
    {
        **_person,
        "birth_date": birth_dates,
        "kinship": st.sampled_from(["мать", "отец", "опекун", "иное"]),
    },
    optional={"patronymic": names, "phone": phones},
)
periods = st.fixed_dictionaries({"from": birth_dates}, optional={"to": birth_dates})
statuses = st.sampled_from(sorted(translate.STATUSES))

referrals = st.fixed_dictionaries(
    {
        "kind": st.just("referral"),
        "referral_number": identifiers,
        "registered_at": moments,
        "centre": centres,
        "counsellor": counsellors,
        "applicant": adults,
        "address": st.fixed_dictionaries(
            {"region": texts, "city": texts, "street": texts, "house": st.just("54")},
            optional={"district": texts, "flat": st.just("17"), "note": texts},
        ),
        "children": st.lists(
            st.fixed_dictionaries(
                {**_person, "birth_date": birth_dates},
                optional={"patronymic": names, "sex": st.sampled_from(["М", "Ж"])},
            ),
            min_size=1,
            max_size=3,
        ),
        "hardship": st.lists(
            st.sampled_from(sorted(translate.HARDSHIP)), min_size=1, max_size=3, unique=True
        ).flatmap(
            lambda codes: st.tuples(*(st.one_of(st.none(), texts) for _ in codes)).map(
                lambda details: [
                    {"code": code} if detail is None else {"code": code, "details": detail}
                    for code, detail in zip(codes, details, strict=True)
                ]
            )
        ),
    },
    optional={
        "case_ref": case_refs,
        "urgent": st.just(True),
        "family_members": st.lists(adults, min_size=1, max_size=2),
        "circumstances": texts,
    },
)
action_statuses = st.fixed_dictionaries(
    {
        "kind": st.just("action_status"),
        "action_id": identifiers,
        "status": statuses,
        "changed_at": moments,
        "centre": centres,
    },
    optional={
        "case_ref": case_refs,
        "assignment_message_id": uuids,
        "plan_id": identifiers,
        "counsellor": counsellors,
        "service_period": periods,
        "note": texts,
        "document": texts,
    },
)
# Typed here: mypy finds no common type for the values of both dictionaries.
reports: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {
        "kind": st.just("periodic_report"),
        "report_number": identifiers,
        "period": periods,
        "centre": centres,
        "plan_id": identifiers,
    },
    optional={
        "case_ref": case_refs,
        "measures": st.lists(
            st.fixed_dictionaries(
                {"action_id": identifiers, "status": statuses}, optional={"result": texts}
            ),
            min_size=1,
            max_size=3,
            unique_by=lambda m: " ".join(m["action_id"].split()),
        ),
        "summary": texts,
        "next_steps": texts,
    },
)
responses = st.fixed_dictionaries(
    {
        "kind": st.just("information_response"),
        "request_message_id": uuids,
        "request_number": identifiers,
        "answered_at": moments,
        "centre": centres,
        "answer": texts,
    },
    optional={"case_ref": case_refs, "attachments_ref": texts},
)


@settings(max_examples=80, deadline=None)
@given(st.one_of(referrals, action_statuses, reports, responses), uuids)
def test_every_record_the_centre_sends_survives_canonical_and_back(
    record: dict[str, Any], message_id: str
) -> None:
    envelope = schemas.parse_xml(
        etree.tostring(translate.to_canonical(record, message_id=message_id, now=NOW))
    )
    header = schemas.read_header(envelope)
    schemas.validate_envelope(envelope)
    schemas.validate_payload(envelope, header)

    back = translate.from_canonical(envelope)

    hub = back.pop("hub")
    assert isinstance(hub, dict)
    assert hub["sender"] == "employment"
    assert back == record


def test_a_referral_is_a_poverty_signal_from_the_employment_centre() -> None:
    envelope = translate.to_canonical(
        golden.native("employment", "referral"), message_id=golden.REPLY_ID, now=NOW
    )
    assert envelope.findtext(".//{*}FamilyReferral/{*}Source") == "employment_centre"
    assert envelope.findtext(".//{*}Reasons/{*}Reason/{*}Code") == "poverty"


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (lambda r: r.update(kind="vacancy"), "kind", "unknown kind 'vacancy'"),
        (
            lambda r: r["children"][1].update(birth_date="30.09.2019"),
            "children[1].birth_date",
            "not a date (YYYY-MM-DD)",
        ),
        (
            lambda r: r["hardship"][1].update(code="малоимущность"),
            "hardship[1].code",
            "repeated code",
        ),
        (lambda r: r["applicant"].pop("kinship"), "applicant.kinship", "missing"),
        (lambda r: r.update(registered_at="2026-03-12T11:20:00"), "registered_at", "no UTC offset"),
    ],
)
def test_a_bad_record_names_its_field(
    change: Callable[[dict[str, Any]], object], field: str, reason: str
) -> None:
    record = copy.deepcopy(golden.native("employment", "referral"))
    change(record)

    with pytest.raises(TranslationError) as caught:
        translate.to_canonical(record, message_id=golden.REPLY_ID, now=NOW)

    assert (caught.value.field, caught.value.reason) == (field, reason)


def test_a_report_with_one_action_twice_names_the_second() -> None:
    record = copy.deepcopy(golden.native("employment", "periodic_report"))
    record["measures"][1]["action_id"] = record["measures"][0]["action_id"]

    with pytest.raises(TranslationError) as caught:
        translate.to_canonical(record, message_id=golden.REPLY_ID, now=NOW)

    assert (caught.value.field, caught.value.reason) == ("measures[1].action_id", "repeated action")


def test_an_unknown_status_is_named() -> None:
    record = {**golden.native("employment", "action_status"), "status": "отложено"}
    with pytest.raises(TranslationError) as caught:
        translate.to_canonical(record, message_id=golden.REPLY_ID, now=NOW)
    assert caught.value.field == "status"


def test_a_plan_keeps_only_the_centres_own_lines() -> None:
    record = translate.from_canonical(golden.envelope("social", "plan_approved"))

    assert record["kind"] == "assigned_actions"
    actions = record["actions"]
    assert isinstance(actions, list)
    assert [a["action_id"] for a in actions] == [
        "ИПСС-2026-0147-03",
        "ИПСС-2026-0147-04",
    ]


def test_a_plan_without_a_line_for_the_centre_is_refused() -> None:
    envelope = golden.envelope("social", "plan_approved")
    for agency in envelope.iter("{*}ResponsibleAgency"):
        agency.text = "health"

    with pytest.raises(TranslationError) as caught:
        translate.from_canonical(envelope)

    assert caught.value.field == "Actions"


def test_a_message_the_centre_keeps_no_record_of_is_refused() -> None:
    with pytest.raises(TranslationError) as caught:
        translate.from_canonical(golden.envelope("social", "survey_completed"))
    assert caught.value.field == "MessageType"
