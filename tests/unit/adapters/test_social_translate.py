"""Social centre events ⇄ canonical messages of the whole lifecycle."""

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

import schemas
from adapters.social import translate
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

organisations = st.fixed_dictionaries({"name": texts}, optional={"department": texts})
people = st.fixed_dictionaries(
    {"last_name": names, "first_name": names},
    optional={"middle_name": names, "position": texts, "phone": phones},
)
_answer = {"referral_message_id": uuids}
_answer_optional = {
    "case_ref": st.from_regex(r"KAM-20[0-9]{2}-[0-9]{6}", fullmatch=True),
    "urgent": st.just(True),
}
registered = st.fixed_dictionaries(
    {
        **_answer,
        "event": st.just("referral.registered"),
        "outcome": st.sampled_from(["registered", "forwarded", "rejected_not_competent"]),
        "registered_at": moments,
        "centre": organisations,
    },
    optional={
        **_answer_optional,
        "registration_number": identifiers,
        "curator": people,
        "comment": texts,
    },
)
status_changed = st.fixed_dictionaries(
    {
        **_answer,
        "event": st.just("action.status_changed"),
        "action_id": identifiers,
        "status": st.sampled_from(
            ["assigned", "accepted", "in_progress", "done", "cannot_execute", "overdue"]
        ),
        "changed_at": moments,
        "executor": organisations,
    },
    optional={
        **_answer_optional,
        "plan_id": identifiers,
        "specialist": people,
        "period": st.fixed_dictionaries({"from": birth_dates}, optional={"to": birth_dates}),
        "comment": texts,
        "evidence_ref": texts,
    },
)


@settings(max_examples=60, deadline=None)
@given(st.one_of(registered, status_changed), uuids)
def test_every_mapped_field_survives_native_to_canonical_and_back(
    event: dict[str, Any], message_id: str
) -> None:
    envelope = schemas.parse_xml(
        etree.tostring(translate.to_canonical(event, message_id=message_id, now=NOW))
    )
    header = schemas.read_header(envelope)
    schemas.validate_envelope(envelope)
    schemas.validate_payload(envelope, header)

    back = translate.from_canonical(envelope)

    hub = back.pop("hub")
    assert isinstance(hub, dict)
    assert hub["correlation_id"] == event["referral_message_id"]
    assert back == event


def test_an_unknown_event_is_named() -> None:
    with pytest.raises(TranslationError) as caught:
        translate.to_canonical({"event": "family.moved"}, message_id=golden.REPLY_ID, now=NOW)
    assert (caught.value.field, caught.value.reason) == ("event", "unknown event 'family.moved'")


def test_an_unknown_status_is_named() -> None:
    event = {**golden.native("social", "action_status_changed"), "status": "postponed"}
    with pytest.raises(TranslationError) as caught:
        translate.to_canonical(event, message_id=golden.REPLY_ID, now=NOW)
    assert caught.value.field == "status"


@pytest.mark.parametrize(
    ("name", "change", "field"),
    [
        ("plan_approved", lambda e: e.update(version="1"), "version"),
        ("plan_approved", lambda e: e["actions"][1].update(agency="mfc"), "actions[1].agency"),
        ("consent_recorded", lambda e: e.update(scopes=["support", "support"]), "scopes[1]"),
        ("case_decided", lambda e: e["decision_body"].update(kind="court"), "decision_body.kind"),
        ("information_requested", lambda e: e.update(recipients=["court"]), "recipients[0]"),
        ("survey_completed", lambda e: e.update(specialists=[]), "specialists"),
        (
            "plan_approved",
            lambda e: e["actions"][2].update(action_id=e["actions"][0]["action_id"]),
            "actions[2].action_id",
        ),
    ],
)
def test_a_bad_lifecycle_event_names_its_field(
    name: str, change: Callable[[dict[str, Any]], object], field: str
) -> None:
    event = copy.deepcopy(golden.native("social", name))
    change(event)

    with pytest.raises(TranslationError) as caught:
        translate.to_canonical(event, message_id=golden.REPLY_ID, now=NOW)

    assert caught.value.field == field
