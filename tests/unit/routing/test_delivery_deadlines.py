"""Delivery deadlines: read from the routing rules, validated at start, one time per message."""

from datetime import timedelta
from pathlib import Path

import pytest

from hub.routing import ConfigInvalid, DeliveryDeadlines, load_rules

_ROUTES = "message_types:\n  FamilyReferral:\n    senders: [police]\n    recipients: [social]\n"


def _load(tmp_path: Path, section: str) -> DeliveryDeadlines:
    file = tmp_path / "rules.yaml"
    file.write_text(f"version: 1\n{section}{_ROUTES}", encoding="utf-8")
    return load_rules(file).delivery_deadlines


def test_the_shipped_rules_keep_medos_72_hours_and_a_shorter_urgent_lane() -> None:
    deadlines = load_rules().delivery_deadlines
    assert deadlines.for_message("SurveyAct", "routine") == timedelta(hours=72)
    assert deadlines.for_message("SurveyAct", "urgent") < timedelta(hours=72)


def test_without_a_section_every_message_has_72_hours(tmp_path: Path) -> None:
    deadlines = _load(tmp_path, "")
    assert deadlines.for_message("FamilyReferral", "urgent") == timedelta(hours=72)


def test_the_shipped_rules_tell_no_commission_whose_register_takes_no_receipt() -> None:
    deadlines = load_rules().delivery_deadlines
    assert not deadlines.notifies("kdn", "kdn")
    assert not deadlines.notifies("kdn-elizovo", "kdn")
    assert deadlines.notifies("edu-school-12", "education")


def test_a_type_has_its_own_time_and_urgent_takes_the_shorter(tmp_path: Path) -> None:
    deadlines = _load(
        tmp_path,
        "delivery_deadlines:\n  default: 48 hours\n  urgent: 90 minutes\n"
        "  message_types:\n    FamilyReferral: 1 hours\n",
    )
    assert deadlines.for_message("FamilyReferral", "routine") == timedelta(hours=1)
    assert deadlines.for_message("FamilyReferral", "urgent") == timedelta(hours=1)
    assert deadlines.for_message("CaseClosure", "urgent") == timedelta(minutes=90)
    assert deadlines.for_message(None, "routine") == timedelta(hours=48)


@pytest.mark.parametrize(
    ("section", "line", "reason"),
    [
        ("delivery_deadlines:\n  default: 72\n", 3, "'<amount> <unit>'"),
        ("delivery_deadlines:\n  urgent: 0 hours\n", 3, "positive"),
        ("delivery_deadlines:\n  default: 3 days\n", 3, "hours or minutes"),
        ("delivery_deadlines:\n  message_types:\n    FamilyReferal: 2 hours\n", 4,
         "FamilyReferal is not a message type of these rules"),
        ("delivery_deadlines:\n  defualt: 72 hours\n", 3, "defualt"),
        ("delivery_deadlines:\n  without_notice:\n    - social\n    - kdnn\n", 5,
         "kdnn is not a partner of these rules"),
    ],
    ids=["no-unit", "zero", "unknown-unit", "misspelt-type", "misspelt-key", "misspelt-partner"],
)  # fmt: skip
def test_a_wrong_section_names_its_line_and_reason(
    tmp_path: Path, section: str, line: int, reason: str
) -> None:
    with pytest.raises(ConfigInvalid) as caught:
        _load(tmp_path, section)
    assert caught.value.line == line
    assert reason in caught.value.reason
