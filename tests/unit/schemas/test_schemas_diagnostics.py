"""diagnose: every issue of a message, for `hub schemas check`."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from schemas import SchemaIssue, diagnose, known_schemas, parse_xml, payload_of

LoadSample = Callable[[str, str], bytes]


@pytest.mark.parametrize(("message_type", "version"), known_schemas())
def test_valid_samples_have_no_issues(
    load_sample: LoadSample, message_type: str, version: str
) -> None:
    assert diagnose(load_sample(message_type, version)) == []


def test_broken_plan_names_the_action_and_the_enumeration(load_sample: LoadSample) -> None:
    raw = load_sample("SupportPlan", "1.0").replace(
        b"<HelpType>employment</HelpType>", b"<HelpType>financial</HelpType>"
    )
    [issue] = diagnose(raw)
    assert issue.path == "/Envelope/Body/SupportPlan/Actions/Action[2]/HelpType"
    assert issue.line == raw[: raw.index(b"<HelpType>financial")].count(b"\n") + 1
    assert "must be one of" in issue.reason
    assert "financial" not in issue.reason


def test_missing_required_survey_field_is_named(load_sample: LoadSample) -> None:
    raw = load_sample("SurveyAct", "1.0").replace(b"<RiskLevel>high</RiskLevel>", b"")
    [issue] = diagnose(raw)
    assert issue.path == "/Envelope/Body/SurveyAct"
    assert "RiskLevel" in issue.reason


def test_preferred_language_is_refused_in_a_1_0_referral(load_sample: LoadSample) -> None:
    raw = load_sample("FamilyReferral", "1.1").replace(b"<SchemaVersion>1.1", b"<SchemaVersion>1.0")
    [issue] = diagnose(raw)
    assert issue.path == "/Envelope/Body/FamilyReferral"
    assert "PreferredLanguage" in issue.reason
    assert diagnose(raw, version="1.1") == []


def test_all_payload_issues_are_listed_with_paths_and_lines(referral_raw: bytes) -> None:
    raw = referral_raw.replace(b"<Urgency>urgent</Urgency>", b"").replace(
        b"<c:Role>father", b"<c:Role>dad"
    )
    issues = diagnose(raw)
    assert [issue.path for issue in issues] == [
        "/Envelope/Body/FamilyReferral/Family/Adults/Adult[2]/Role",
        "/Envelope/Body/FamilyReferral",
    ]
    assert all(issue.line for issue in issues)
    assert "Urgency" in issues[1].reason
    assert "dad" not in issues[0].reason


def test_envelope_issues_come_first_and_stop_there(referral_raw: bytes) -> None:
    raw = referral_raw.replace(b"10:00:00+12:00<", b"10:00:00<").replace(
        b"<Source>visit", b"<Source>x"
    )
    issues = diagnose(raw)
    assert [issue.path for issue in issues] == ["/Envelope/Header/CreatedAt"]
    assert issues[0].line == 15


def test_parse_refusal_is_an_issue() -> None:
    assert diagnose(b"<!DOCTYPE r><r/>") == [
        SchemaIssue("/", None, "forbidden_construct: forbidden construct: doctype")
    ]


def test_malformed_issue_has_a_line() -> None:
    [issue] = diagnose(b"<a>\n<b>\n</a>")
    assert issue.reason.startswith("malformed")
    assert issue.line == 3


def test_bare_payload_infers_type_and_version(referral_raw: bytes) -> None:
    payload = payload_of(parse_xml(referral_raw))
    assert diagnose(payload) == []
    payload.remove(payload[0])
    [issue] = diagnose(payload)
    assert issue.path == "/FamilyReferral"


def test_unknown_version_is_an_issue(referral_raw: bytes) -> None:
    [issue] = diagnose(parse_xml(referral_raw), version="9.9")
    assert issue.path == "/Envelope/Body/FamilyReferral"
    assert issue.reason.startswith("unsupported_version")


def test_bare_payload_of_unknown_namespace(referral_raw: bytes) -> None:
    payload = payload_of(
        parse_xml(referral_raw.replace(b"msg:FamilyReferral:1", b"msg:FamilyReferral:7"))
    )
    [issue] = diagnose(payload)
    assert issue.reason.startswith("unsupported_version")


def test_diagnostics_never_repeat_the_offending_value(referral_raw: bytes) -> None:
    broken = referral_raw.replace(b"<c:BirthDate>1991-03-14", b"<c:BirthDate>14.03.1991", 1)
    issues = diagnose(broken)
    assert issues
    assert all("14.03.1991" not in issue.reason for issue in issues)
    assert any(issue.path.endswith("/BirthDate") for issue in issues)
