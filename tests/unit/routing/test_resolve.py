"""Recipients of organisations registered under an agency: rules name agencies, tokens and
explicit recipients name the partners themselves."""

import pytest

from hub.errors import Rejection
from hub.routing import load_rules, resolve_recipients

RULES = load_rules()
#: The agencies' own systems, and two schools of education.
REGISTERED = {
    **{code: code for code in ("police", "social", "kdn", "health", "education", "employment")},
    "edu-school-a": "education",
    "edu-school-b": "education",
}


class Facts:
    """Routing's answers for one message, given outright."""

    def __init__(self, executors: list[str] | None = None, correlated: str | None = None) -> None:
        self._executors = executors or []
        self._correlated = correlated

    def correlated_sender(self) -> str | None:
        return self._correlated

    def case_referrer(self) -> str | None:
        return None

    def case_participants(self) -> set[str]:
        return set()

    def case_category(self) -> str | None:
        return None

    def decision_body(self) -> str | None:
        return None

    def plan_executors(self) -> list[str]:
        return self._executors


def _resolve(
    message_type: str,
    facts: Facts,
    *,
    sender: str = "social",
    explicit: tuple[str, ...] = (),
    registered: dict[str, str] = REGISTERED,
) -> list[str]:
    route = RULES.route_for(message_type)
    assert route is not None
    return resolve_recipients(
        route, sender=sender, explicit=explicit, facts=facts, registered=registered
    )


def test_a_plan_goes_to_the_organisations_it_names_and_to_the_agency_it_names() -> None:
    facts = Facts(["edu-school-a", "health", "education"])
    assert _resolve("SupportPlan", facts) == ["edu-school-a", "health", "education", "kdn"]


def test_an_agency_with_organisations_and_no_system_of_its_own_must_be_named() -> None:
    without_department = {k: v for k, v in REGISTERED.items() if k != "education"}

    with pytest.raises(Rejection) as refused:
        _resolve("ActionAssignment", Facts(["education"]), registered=without_department)

    assert refused.value.code == "routing.executor_unnamed"
    assert "edu-school-a, edu-school-b" in refused.value.detail


def test_an_unregistered_executor_is_left_out_as_before() -> None:
    assert _resolve("SupportPlan", Facts(["edu-school-z", "health"])) == ["health", "kdn"]


def test_a_code_in_the_rules_is_the_agency_own_system_not_its_organisations() -> None:
    referral = _resolve("FamilyReferral", Facts(), sender="edu-school-a")
    status = _resolve("ActionStatusUpdate", Facts(), sender="edu-school-a")
    assert (referral, status) == (["social", "kdn"], ["social"])


def test_the_correlated_sender_is_the_organisation_itself() -> None:
    assert _resolve("ReferralReceipt", Facts(correlated="edu-school-b")) == ["edu-school-b"]


def test_an_explicit_organisation_is_allowed_by_its_agency() -> None:
    explicit = ("edu-school-a", "police")
    assert _resolve("InformationRequest", Facts(), explicit=explicit) == list(explicit)


def test_an_explicit_unregistered_or_unallowed_code_is_refused() -> None:
    with pytest.raises(Rejection) as refused:
        _resolve("SurveyAct", Facts(), explicit=("edu-school-a",))
    assert refused.value.code == "routing.recipient_not_allowed"
    with pytest.raises(Rejection) as unknown:
        _resolve("InformationRequest", Facts(), explicit=("edu-school-z",))
    assert unknown.value.code == "routing.recipient_not_allowed"
