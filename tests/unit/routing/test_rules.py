"""Routing rules load once, and a wrong file stops the hub naming file, line and reason."""

from pathlib import Path

import pytest

from adapters.registry import ADAPTERS
from hub.routing import ConfigInvalid, load_rules
from schemas import known_schemas


def _write(tmp_path: Path, text: str) -> Path:
    file = tmp_path / "rules.yaml"
    file.write_text(text, encoding="utf-8")
    return file


def test_the_shipped_rules_route_every_message_type_of_the_catalogue() -> None:
    rules = load_rules()
    assert {t for t, _ in known_schemas()} <= set(rules.routes)


def test_the_shipped_rules_know_the_six_partners() -> None:
    # Region files may name only these (as case owner or a decision body's partner).
    assert load_rules().partners == {"police", "social", "kdn", "health", "education", "employment"}


def test_the_shipped_rules_keep_health_data_from_police_and_schools() -> None:
    rules = load_rules()
    assert "health" not in rules.visible_to("police")
    assert "health" not in rules.visible_to("education")
    assert "health" in rules.visible_to("health")
    assert rules.visible_to("unknown-partner") == frozenset()


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("version: 1\nmessage_types:\n  FamilyReferral:\n    senders: [Police]\n"
         "    recipients: [social]\n", 4, "senders"),
        ("version: 1\nmessage_types:\n  FamilyReferral:\n    senders: [police]\n"
         "    recipients: [$everyone]\n", 5, "recipients"),
        ("version: 1\nmessage_types:\n  FamilyReferral:\n    senders: [police]\n"
         "    recipient: [social]\n", 5, "recipient"),
        ("version: 1\nvisibility:\n  police: [secrets]\nmessage_types:\n  X:\n", 3, "visibility"),
        ("version: 1\nmessage_types:\n  InformationRequest:\n    senders: [social]\n"
         "    recipients: []\n", 5, "nobody could receive it"),
        ("version: 1\nmessage_types: [unclosed\n", 3, "expected"),
        ("version: 1\nmessage_types:\n  SupportPlan:\n    senders: [social]\n"
         "    recipients: [$payload.ResponsibleAgency]\n", 5, "recipients"),
        ("version: 1\nmessage_types:\n  CaseClosure:\n    senders: [social]\n"
         "    recipients: [social,\n      $plan_executors]\n", 6,
         "CaseClosure: $plan_executors is only for ActionAssignment, SupportPlan"),
        ("version: 1\nmessage_types:\n  PeriodicReport:\n    senders: [health]\n"
         "    recipients: [social]\n    when_category:\n      sop: [$plan_executors]\n", 7,
         "PeriodicReport: $plan_executors is only for"),
        ("version: 1\nmessage_types:\n  PeriodicReport:\n    senders: [health]\n"
         "    recipients: [social]\n    when_category:\n      sop: [$kdn]\n", 7,
         "when_category.sop"),
    ],
    ids=[
        "bad-code", "unknown-token", "unknown-key", "bad-class", "no-recipients", "not-yaml",
        "payload-token-retired", "executors-of-a-closure", "executors-by-category",
        "unknown-category-token",
    ],
)  # fmt: skip
def test_a_wrong_rules_file_names_file_line_and_reason(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    file = _write(tmp_path, text)
    with pytest.raises(ConfigInvalid) as caught:
        load_rules(file)
    assert caught.value.file == file
    assert caught.value.line == line
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"{file}:{line}: ")


def test_an_unknown_partner_code_stops_the_rules_at_its_line(tmp_path: Path) -> None:
    file = _write(
        tmp_path,
        "version: 1\nvisibility:\n  kdn: [conduct]\nmessage_types:\n  FamilyReferral:\n"
        "    senders: [police]\n    recipients: [social, kdnn]\n",
    )
    with pytest.raises(ConfigInvalid) as refused:
        load_rules(file, partners=ADAPTERS.keys())
    assert str(refused.value) == f"{file}:7: unknown partner code «kdnn»"
    # Without the hub's partners to check against, the file itself is well-formed.
    assert "kdnn" in load_rules(file).partners


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("visibility:\n  polise: [conduct]\n", 3),
        ("consent:\n  without_consent:\n    kdnn: [conduct]\n", 4),
        ("message_types:\n  FamilyReferral:\n    senders: [polise]\n    recipients: [social]\n", 4),
        ("message_types:\n  FamilyReferral:\n    senders: [police]\n"
         "    recipients: [$case_referrer]\n    allowed_recipients: [sociel]\n", 6),
        ("message_types:\n  FamilyReferral:\n    senders: [police]\n    recipients: [social]\n"
         "    when_category:\n      sop: [kdnn]\n", 7),
    ],
    ids=["visibility", "without_consent", "senders", "allowed_recipients", "when_category"],
)  # fmt: skip
def test_every_place_that_names_a_partner_is_checked(tmp_path: Path, text: str, line: int) -> None:
    head = "version: 1\n"
    if not text.startswith("message_types"):
        text += (
            "message_types:\n  FamilyReferral:\n    senders: [police]\n    recipients: [social]\n"
        )
    file = _write(tmp_path, head + text)
    with pytest.raises(ConfigInvalid, match="unknown partner code") as refused:
        load_rules(file, partners=ADAPTERS.keys())
    assert refused.value.line == line


def test_the_shipped_rules_name_only_partners_the_hub_has_adapters_for() -> None:
    assert load_rules(partners=ADAPTERS.keys()).partners <= ADAPTERS.keys()
