"""Region files load once, differ where regions differ, and a wrong one names file and line."""

from pathlib import Path

import pytest
import yaml

from hub.regions import ConfigInvalid, Deadline, DecisionBodyRule, load_regions
from hub.routing import load_rules
from hub.routing.rules import default_rules_file

#: A valid region file; each bad case below changes one thing in it.
VALID = """\
version: 1
name: Тестовый край
case_prefix: TST
address_names:
  - Тестовый край
timezone: Asia/Kamchatka
case_owner: social
decision_bodies:
  sop:
    kind: kdn
    partner: kdn
    name: КДН и ЗП
  tjs:
    kind: council
    partner: social
    name: Межведомственный консилиум
consent_before_decision: true
deadlines:
  receipt: 1 working_days
  urgent_receipt: 24 hours
  survey: 5 working_days
  decision: 10 working_days
  plan: 10 calendar_days
  information_response: 10 working_days
  assignment_acceptance: 3 working_days
action_acceptance:
  medical: 2 working_days
reports:
  period_months: 3
  grace: 10 working_days
visits_per_month: 2
post_support_months: 6
calendar:
  transferred_working_days:
    - 2027-02-20
  days_off:
    - 2027-02-22
consent_required_for: []
"""


def _write(folder: Path, name: str, text: str) -> Path:
    file = folder / name
    file.write_text(text, encoding="utf-8")
    return file


def _line_of_last(text: str, marker: str) -> int:
    return max(i for i, line in enumerate(text.splitlines(), 1) if marker in line)


def test_both_shipped_regions_load_each_with_its_case_prefix() -> None:
    rules = load_regions()
    assert set(rules.regions) == {"kamchatka", "kaluga"}
    assert {code: r.case_prefix for code, r in rules.regions.items()} == {
        "kamchatka": "KAM",
        "kaluga": "KLG",
    }
    assert rules.served_names() == ["Калужская область", "Камчатский край"]


def test_the_shipped_regions_differ_where_regional_practice_differs() -> None:
    rules = load_regions()
    kamchatka, kaluga = rules.get("kamchatka"), rules.get("kaluga")

    assert kamchatka.calendar.timezone.key == "Asia/Kamchatka"
    assert kaluga.calendar.timezone.key == "Europe/Moscow"
    assert kamchatka.decision_bodies["tjs"].kind == "council"
    assert kaluga.decision_bodies["tjs"].kind == "working_group"
    assert {r.decision_bodies["sop"].kind for r in (kamchatka, kaluga)} == {"kdn"}
    assert kamchatka.decision_bodies["sop"].name != kaluga.decision_bodies["sop"].name
    assert (kamchatka.report_period_months, kaluga.report_period_months) == (3, 1)
    assert kamchatka.consent_before_decision
    assert not kaluga.consent_before_decision
    assert kaluga.stage_deadlines["survey"].amount < kamchatka.stage_deadlines["survey"].amount


def test_a_region_file_becomes_a_region() -> None:
    rules = load_regions()
    kamchatka = rules.get("kamchatka")
    assert kamchatka.name == "Камчатский край"
    assert kamchatka.case_owner == "social"
    assert kamchatka.decision_bodies["tjs"] == DecisionBodyRule(
        kind="council",
        partner="social",
        name="Межведомственный консилиум по социальному сопровождению семей с детьми",
    )
    assert set(kamchatka.stage_deadlines) == {
        "receipt",
        "urgent_receipt",
        "survey",
        "decision",
        "plan",
        "information_response",
        "assignment_acceptance",
    }
    assert kamchatka.stage_deadlines["urgent_receipt"] == Deadline(24, "hours")
    assert kamchatka.report_grace == Deadline(10, "working_days")
    assert (kamchatka.visits_per_month, kamchatka.post_support_months) == (2, 6)


def test_an_action_takes_its_help_types_acceptance_deadline_else_the_regions_default() -> None:
    kaluga = load_regions().get("kaluga")
    assert kaluga.acceptance_deadline("medical") == Deadline(1, "working_days")
    assert kaluga.acceptance_deadline("legal") == kaluga.stage_deadlines["assignment_acceptance"]


@pytest.mark.parametrize(
    ("address_region", "code"),
    [
        ("Калужская область", "kaluga"),
        ("  калужская   ОБЛАСТЬ ", "kaluga"),
        ("Калужская обл.", "kaluga"),
        ("КАМЧАТКА", "kamchatka"),
        ("Тверская область", None),
        ("Калужская", None),
        ("", None),
    ],
)
def test_an_address_finds_its_region_ignoring_case_and_spaces_and_no_other(
    address_region: str, code: str | None
) -> None:
    # No region is the default: an address no file claims is in no region the hub serves.
    region = load_regions().find_for_address(address_region)
    assert (region.code if region else None) == code


@pytest.mark.parametrize(
    ("case_ref", "code"),
    [
        ("KAM-2026-000123", "kamchatka"),
        ("KLG-2026-000001", "kaluga"),
        ("KAM-7", "kamchatka"),
        ("KLG2026-000001", None),  # the prefix ends at a hyphen
        ("kam-2026-000123", None),
        ("TVR-2026-000001", None),
    ],
)
def test_a_case_number_names_the_region_of_its_prefix(case_ref: str, code: str | None) -> None:
    region = load_regions().find_numbering(case_ref)
    assert (region.code if region else None) == code


@pytest.mark.parametrize("code", [None, "tver"])
def test_a_case_without_a_served_region_is_a_lookup_error_never_a_default(
    code: str | None,
) -> None:
    with pytest.raises(LookupError):
        load_regions().for_case(code)


def test_an_unknown_region_code_is_a_lookup_error() -> None:
    with pytest.raises(LookupError, match="unknown region tver"):
        load_regions().get("tver")


def test_the_valid_sample_loads(tmp_path: Path) -> None:
    _write(tmp_path, "test.yaml", VALID)
    rules = load_regions(tmp_path)
    assert rules.get("test").stage_deadlines["plan"] == Deadline(10, "calendar_days")


@pytest.mark.parametrize(
    ("old", "new", "marker", "reason"),
    [
        ("version: 1", "version: 2", "version", "version"),
        ("post_support_months: 6", "post_support_months: 6\nfollow_up: 6", "follow_up",
         "follow_up: Extra inputs"),
        ("  survey:", "  surveys:", "surveys", "deadlines.surveys"),
        ("timezone: Asia/Kamchatka", "timezone: Asia/Kamchatca", "timezone", "IANA time zone"),
        ("survey: 5 working_days", "survey: 5 business_days", "survey", "unit must be one of"),
        ("survey: 5 working_days", "survey: 5", "survey", "'<amount> <unit>'"),
        ("plan: 10 calendar_days", "plan: 0 calendar_days", "plan", "amount must be positive"),
        ("medical: 2 working_days", "medical: -2 working_days", "medical",
         "amount must be positive"),
        ("grace: 10 working_days", "grace: 0 hours", "grace", "reports.grace"),
        ("period_months: 3", "period_months: 13", "period_months", "reports.period_months"),
        ("visits_per_month: 2", "visits_per_month: 0", "visits_per_month", "visits_per_month"),
        ("visits_per_month: 2", "visits_per_month: yes", "visits_per_month", "valid integer"),
        ("consent_before_decision: true", "consent_before_decision: maybe", "consent_before",
         "valid boolean"),
        # A missing key is reported where its section's content starts.
        ("  sop:\n    kind: kdn\n    partner: kdn\n    name: КДН и ЗП\n", "", "  tjs:",
         "decision_bodies.sop: Field required"),
        ("  tjs:\n    kind: council\n    partner: social\n    name: Межведомственный консилиум\n",
         "", "  sop:", "decision_bodies.tjs: Field required"),
        ("kind: council", "kind: konsilium", "konsilium", "decision_bodies.tjs.kind"),
        ("  medical:", "  medicine:", "medicine", "action_acceptance.medicine"),
        ("    - 2027-02-20", "    - 2027-02-19", "2027-02-19", "is a Friday"),
        ("    - 2027-02-20", "    - 2027-02-20\n    - 2027-02-20", "2027-02-20", "listed twice"),
        ("    - 2027-02-20", "    - 2026-01-03", "2026-01-03", "public holiday"),
        ("    - 2027-02-22", "    - 2027-02-27", "2027-02-27", "is a Saturday"),
        ("    - 2027-02-22", "    - 2027-02-22\n    - 2027-02-22", "2027-02-22", "listed twice"),
        ("    - 2027-02-22", "    - 22.02.2027", "22.02.2027", "valid date"),
        ("address_names:\n  - Тестовый край\n", "address_names: []\n", "address_names",
         "address_names"),
        ("deadlines:", "deadlines: [unclosed", "  receipt:", "expected"),
        ("case_prefix: TST", "case_prefix: tst", "case_prefix", "case_prefix"),
        ("case_prefix: TST", "case_prefix: T", "case_prefix", "case_prefix"),
        ("case_prefix: TST\n", "", "version", "case_prefix: Field required"),
        # The notion is gone: a file that still names a default region says so at start.
        ("case_prefix: TST", "case_prefix: TST\ndefault: true", "default",
         "default: Extra inputs"),
    ],
    ids=[
        "version", "unknown-key", "unknown-stage", "bad-time-zone", "bad-unit", "no-unit",
        "zero-amount", "negative-amount", "zero-grace", "period-over-a-year", "no-visits",
        "yes-for-a-number", "maybe-for-a-flag", "missing-sop", "missing-tjs", "bad-body-kind",
        "unknown-help-type", "working-friday", "working-day-twice", "holiday-made-working",
        "saturday-off", "day-off-twice", "not-a-date", "no-address-names", "not-yaml",
        "lowercase-prefix", "one-letter-prefix", "no-prefix", "default-region",
    ],
)  # fmt: skip
def test_a_wrong_region_file_names_file_line_and_reason(
    tmp_path: Path, old: str, new: str, marker: str, reason: str
) -> None:
    assert old in VALID
    text = VALID.replace(old, new)
    file = _write(tmp_path, "test.yaml", text)

    with pytest.raises(ConfigInvalid) as caught:
        load_regions(tmp_path)

    assert caught.value.file == file
    assert caught.value.line == _line_of_last(text, marker)
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"{file}:{caught.value.line}: ")


@pytest.mark.parametrize(
    ("old", "new", "marker", "reason"),
    [
        ("case_owner: social", "case_owner: opeka", "case_owner",
         "case_owner: 'opeka' is not a partner of the routing rules "
         "(they know education, employment, health, kdn, police, social)"),
        ("    partner: kdn", "    partner: mvk", "partner: mvk",
         "decision_bodies.sop.partner: 'mvk' is not a partner of the routing rules"),
        ("    partner: social", "    partner: Social", "partner: Social",
         "decision_bodies.tjs.partner: 'Social' is not a partner of the routing rules"),
        ("    partner: kdn\n", "", "kind: kdn", "decision_bodies.sop.partner: Field required"),
        ("case_owner: social\n", "", "version", "case_owner: Field required"),
    ],
    ids=["unknown-owner", "unknown-body-partner", "misspelt-partner", "no-partner", "no-owner"],
)  # fmt: skip
def test_a_partner_the_routing_rules_do_not_know_is_refused(
    tmp_path: Path, old: str, new: str, marker: str, reason: str
) -> None:
    # Given the shipped routing rules, which know six partners and neither opeka nor mvk
    text = VALID.replace(old, new)
    file = _write(tmp_path, "test.yaml", text)

    with pytest.raises(ConfigInvalid) as caught:
        load_regions(tmp_path)

    assert caught.value.file == file
    assert caught.value.line == _line_of_last(text, marker)
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"{file}:{caught.value.line}: ")


def test_a_partner_is_known_by_the_rules_the_hub_runs_with(tmp_path: Path) -> None:
    # Given routing rules that add an interagency commission's system, mvk
    rules = yaml.safe_load(default_rules_file().read_text(encoding="utf-8"))
    rules["visibility"]["mvk"] = ["conduct", "social"]
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    regions = tmp_path / "regions"
    regions.mkdir()
    _write(regions, "test.yaml", VALID.replace("    partner: kdn", "    partner: mvk"))

    # When the regions load against those rules, and against the shipped ones
    loaded = load_regions(regions, load_rules(rules_file))
    with pytest.raises(ConfigInvalid, match="'mvk' is not a partner"):
        load_regions(regions)

    # Then the commission decides СОП there
    assert loaded.get("test").decision_partner("sop") == "mvk"


def test_two_files_claiming_one_address_name_name_the_second(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", VALID)
    other = VALID.replace("case_prefix: TST", "case_prefix: DRG").replace(
        "  - Тестовый край", "  - Другой край\n  - ТЕСТОВЫЙ  край"
    )
    file = _write(tmp_path, "b.yaml", other)

    with pytest.raises(ConfigInvalid) as caught:
        load_regions(tmp_path)

    assert (caught.value.file, caught.value.line) == (file, 6)
    assert "already claimed by a.yaml" in caught.value.reason


def test_two_files_with_one_case_prefix_name_the_second(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", VALID)
    file = _write(tmp_path, "b.yaml", VALID.replace("Тестовый край", "Другой край"))

    with pytest.raises(ConfigInvalid) as caught:
        load_regions(tmp_path)

    assert (caught.value.file, caught.value.line) == (file, 3)
    assert "'TST' is already the prefix of a.yaml" in caught.value.reason


def test_a_folder_without_region_files_names_the_folder(tmp_path: Path) -> None:
    _write(tmp_path, "README.txt", "not a region")

    with pytest.raises(ConfigInvalid) as caught:
        load_regions(tmp_path)

    assert (caught.value.file, caught.value.line) == (tmp_path, 1)
    assert "no region files" in caught.value.reason


def test_a_region_file_name_that_is_no_region_code_is_refused(tmp_path: Path) -> None:
    file = _write(tmp_path, "Kaluga Oblast.yaml", VALID)

    with pytest.raises(ConfigInvalid) as caught:
        load_regions(tmp_path)

    assert (caught.value.file, caught.value.line) == (file, 1)
    assert "file name" in caught.value.reason
