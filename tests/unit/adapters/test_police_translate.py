"""Police signal records ⇄ FamilyReferral; notifications from receipts and statuses."""

import copy
from datetime import UTC, datetime
from typing import Any, TypedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

import schemas
from adapters.police import translate
from schemas import TranslationError
from schemas import canonical as c
from tests.unit.adapters import golden
from tests.unit.adapters.strategies import birth_dates, moments, names, phones, texts

NOW = datetime(2026, 3, 15, 0, 0, tzinfo=UTC)

_person = {"surname": names, "name": names}
officers = st.fixed_dictionaries(
    _person, optional={"patronymic": names, "position": texts, "phone": phones}
)
addresses = st.fixed_dictionaries(
    {
        "region": texts,
        "city": texts,
        "street": texts,
        "house": st.from_regex(r"[0-9]{1,3}[а-г]?", fullmatch=True),
    },
    optional={
        "district": texts,
        "flat": st.from_regex(r"[0-9]{1,3}", fullmatch=True),
        "note": texts,
    },
)
parents = st.fixed_dictionaries(
    {
        **_person,
        "birth_date": birth_dates,
        "kinship": st.sampled_from(["мать", "отец", "опекун", "иное"]),
    },
    optional={"patronymic": names, "phone": phones},
)
children = st.fixed_dictionaries(
    {**_person, "birth_date": birth_dates},
    optional={
        "patronymic": names,
        "sex": st.sampled_from(["М", "Ж"]),
        "institution": st.fixed_dictionaries(
            {"type": st.sampled_from(["детский сад", "школа", "колледж", "иное"]), "name": texts}
        ),
    },
)
# Synonyms ("вызов" = "рейд" = visit) come back as the preferred spelling, so only those.
channels = st.sampled_from(
    [
        "рейд",
        "сообщение граждан",
        "телефон доверия",
        "сообщение школы",
        "сообщение медорганизации",
        "сообщение ЦЗН",
        "иное",
    ]
)
records = st.fixed_dictionaries(
    {
        "kusp_number": st.from_regex(r"КУСП-20[0-9]{2}-[0-9]{6}", fullmatch=True),
        "registered_at": moments,
        "unit": texts,
        "officer": officers,
        "received_via": channels,
        "address": addresses,
        "children": st.lists(children, min_size=1, max_size=4),
        "grounds": st.lists(
            st.sampled_from(sorted(translate.GROUNDS)), min_size=1, max_size=4, unique=True
        ),
        "urgent": st.booleans(),
        "circumstances": texts,
    },
    optional={
        "department": texts,
        "parents": st.lists(parents, min_size=1, max_size=3),
        "materials_ref": texts,
    },
)


def _valid(envelope: etree._Element) -> etree._Element:
    reparsed = schemas.parse_xml(etree.tostring(envelope))
    schemas.validate_envelope(reparsed)
    schemas.validate_payload(reparsed, schemas.read_header(reparsed))
    return reparsed


@settings(max_examples=60, deadline=None)
@given(records)
def test_every_mapped_field_survives_native_to_canonical_and_back(record: dict[str, Any]) -> None:
    envelope = _valid(
        translate.to_canonical(
            record, message_id=translate.message_id_for(record["kusp_number"]), now=NOW
        )
    )

    back = translate.from_canonical(envelope)

    assert back.pop("kind") == "referral"
    hub = back.pop("hub")
    assert isinstance(hub, dict)
    assert hub["message_type"] == "FamilyReferral"
    assert back == record


def test_urgency_sets_the_envelope_priority() -> None:
    record = golden.native("police", "signal")
    urgent = schemas.read_header(
        translate.to_canonical(record, message_id=translate.message_id_for("x"), now=NOW)
    )
    routine = schemas.read_header(
        translate.to_canonical(
            {**record, "urgent": False}, message_id=translate.message_id_for("x"), now=NOW
        )
    )
    assert (urgent.priority, routine.priority) == ("urgent", "routine")
    assert urgent.law.startswith("Федеральный закон от 24.06.1999 № 120-ФЗ")


def test_message_id_is_stable_per_kusp_number_so_a_resend_is_a_duplicate() -> None:
    assert translate.message_id_for("КУСП-2026-004512") == translate.message_id_for(
        "КУСП-2026-004512"
    )
    assert translate.message_id_for("КУСП-2026-004512") != translate.message_id_for(
        "КУСП-2026-004513"
    )


def _broken(path: list[str | int], value: object) -> dict[str, Any]:
    record = copy.deepcopy(golden.native("police", "signal"))
    target: Any = record  # objects and lists, as the path steps into them
    for step in path[:-1]:
        target = target[step]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return record


@pytest.mark.parametrize(
    ("path", "value", "field", "reason"),
    [
        (["officer", "surname"], ..., "officer.surname", "missing"),
        (["circumstances"], "   ", "circumstances", "blank"),
        (
            ["children", 1, "birth_date"],
            "07.01.2024",
            "children[1].birth_date",
            "not a date (YYYY-MM-DD)",
        ),
        (["registered_at"], "2026-03-14T22:40:00", "registered_at", "no UTC offset"),
        (["grounds", 1], "hooliganism", "grounds[1]", "unknown code 'hooliganism'"),
        (["parents", 0, "kinship"], "тётя", "parents[0].kinship", "unknown code 'тётя'"),
        (["children"], [], "children", "empty"),
        (["urgent"], "да", "urgent", "not a boolean"),
    ],
)
def test_a_bad_record_names_the_field(
    path: list[str | int], value: object, field: str, reason: str
) -> None:
    with pytest.raises(TranslationError) as caught:
        translate.to_canonical(
            _broken(path, value), message_id=translate.message_id_for("x"), now=NOW
        )
    assert (caught.value.field, caught.value.reason) == (field, reason)


def test_a_receipt_becomes_an_officers_notification() -> None:
    referral_id = translate.message_id_for("КУСП-2026-004512")
    receipt = c.ReferralReceipt(
        referral_message_id=referral_id,
        outcome="registered",
        received_at=datetime.fromisoformat("2026-03-15T09:10:00+12:00"),
        organisation=c.Organisation(name="КЦСОН"),
        registration_number="СРЦ-2026/0147",
        curator=c.Curator(
            name=c.PersonName("Кузнецова", "Елена", "Павловна"), phone="+7 4152 20-11-01"
        ),
    )
    envelope = c.to_envelope(
        receipt,
        message_id="3b0a4c2e-8f51-4d7a-9c61-2f9e0d5b7a13",
        sender="social",
        organisation="КЦСОН",
        created_at=NOW,
        priority="urgent",
        law="442-ФЗ",
        case_ref="KAM-2026-000147",
        correlation_id=referral_id,
    )

    notification = translate.from_canonical(_valid(envelope))

    assert notification == {
        "kind": "receipt",
        "hub": {
            "message_id": "3b0a4c2e-8f51-4d7a-9c61-2f9e0d5b7a13",
            "message_type": "ReferralReceipt",
            "sender": "social",
            "sender_organisation": "КЦСОН",
            "created_at": "2026-03-15T00:00:00+00:00",
            "priority": "urgent",
            "case_ref": "KAM-2026-000147",
            "correlation_id": referral_id,
        },
        "referral_message_id": referral_id,
        "outcome": "зарегистрировано",
        "registration_number": "СРЦ-2026/0147",
        "received_at": "2026-03-15T09:10:00+12:00",
        "organisation": "КЦСОН",
        "curator": {
            "surname": "Кузнецова",
            "name": "Елена",
            "patronymic": "Павловна",
            "phone": "+7 4152 20-11-01",
        },
    }


class _EnvelopeFields(TypedDict):
    """The header fields ``c.to_envelope`` takes besides the payload and MessageId."""

    sender: str
    organisation: str
    created_at: datetime
    priority: str
    law: str


def test_action_status_and_delivery_receipt_become_notifications() -> None:
    common: _EnvelopeFields = {
        "sender": "social",
        "organisation": "КЦСОН",
        "created_at": NOW,
        "priority": "routine",
        "law": "442-ФЗ",
    }
    status = c.ActionStatusUpdate(
        action_id="survey-1",
        status="accepted",
        status_at=NOW,
        organisation=c.Organisation(name="КЦСОН"),
        period=c.Period(start=NOW.date()),
        comment="Назначено обследование условий проживания",
    )
    receipt = c.DeliveryReceipt(
        delivered_message_id=translate.message_id_for("x"),
        recipient="kdn",
        outcome="delivered",
        at=NOW,
    )

    got_status = translate.from_canonical(
        _valid(c.to_envelope(status, message_id=translate.message_id_for("a"), **common))
    )
    got_receipt = translate.from_canonical(
        _valid(
            c.to_envelope(
                receipt, message_id=translate.message_id_for("b"), **(common | {"sender": "hub"})
            )
        )
    )

    assert (got_status["kind"], got_status["status"], got_status["period_from"]) == (
        "action_status",
        "принято к исполнению",
        "2026-03-15",
    )
    assert (got_receipt["kind"], got_receipt["recipient"], got_receipt["outcome"]) == (
        "delivery_receipt",
        "kdn",
        "delivered",
    )


def test_an_answer_without_conduct_information_names_the_field() -> None:
    record = dict(golden.native("police", "answer"))
    del record["conduct"]
    with pytest.raises(TranslationError) as caught:
        translate.answer_to_canonical(record, message_id=golden.REPLY_ID, now=NOW)
    assert (caught.value.field, caught.value.reason) == ("conduct", "missing")


def test_the_answer_id_is_one_per_request() -> None:
    assert translate.answer_id_for("a") == translate.answer_id_for("a")
    assert translate.answer_id_for("a") != translate.answer_id_for("b")


def test_a_plan_has_no_notification_for_the_officer() -> None:
    with pytest.raises(TranslationError) as caught:
        translate.from_canonical(golden.envelope("social", "plan_approved"))
    assert caught.value.field == "MessageType"
