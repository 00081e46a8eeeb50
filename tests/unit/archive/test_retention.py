"""Retention rules: the packaged file loads, a type's own days win, mistakes name their line."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.archive import load_retention
from hub.routing import ConfigInvalid

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def test_the_packaged_rules_keep_referrals_longer_than_the_default() -> None:
    retention = load_retention()
    assert retention.days_for("FamilyReferral") > retention.days_for("SurveyAct")
    assert retention.days_for("SurveyAct") == retention.default_days
    assert retention.cutoff("SurveyAct", now=NOW) == retention.default_cutoff(now=NOW)


def test_a_types_own_days_set_its_cutoff(tmp_path: Path) -> None:
    rules = tmp_path / "retention.yaml"
    rules.write_text(
        "retention:\n  default_days: 30\n  message_types:\n    SurveyAct: 0\n", encoding="utf-8"
    )
    retention = load_retention(rules)
    assert retention.cutoff("SurveyAct", now=NOW) == NOW
    assert retention.cutoff("CaseDecision", now=NOW) == NOW - timedelta(days=30)


@pytest.mark.parametrize(
    ("body", "line", "reason"),
    [
        ("retention:\n  default_days: 30\n  message_types:\n    SurveyAkt: 5\n", 4, "unknown"),
        ("retention:\n  default_days: 30\n  message_types:\n    SurveyAct: -1\n", 4, ">= 0"),
        ("retention:\n  default_days: -5\n", 2, "greater than or equal"),
        ("retention:\n  default_dais: 5\n", 2, "default_dais"),
    ],
)
def test_a_mistake_names_its_file_and_line(
    tmp_path: Path, body: str, line: int, reason: str
) -> None:
    rules = tmp_path / "retention.yaml"
    rules.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigInvalid) as refused:
        load_retention(rules)
    assert (refused.value.file, refused.value.line) == (rules, line)
    assert reason in refused.value.reason
