"""What each role sees: the scope a person's account gives every case query."""

from datetime import datetime

import pytest

from hub.cases.scope import ALL_CLASSES, Role
from hub.people import viewer_for
from hub.routing import load_rules
from hub.store import Person

RULES = load_rules()


def _person(role: Role, agency: str | None, region: str | None = "kamchatka") -> Person:
    return Person(
        login="someone",
        display_name="Сотрудник",
        role=role.value,
        region=region,
        agency=agency,
        password_hash="-",
        active=True,
        created_at=datetime(2026, 1, 1),
    )


@pytest.mark.parametrize("role", [Role.CURATOR, Role.SUPERVISOR])
def test_curators_and_supervisors_see_every_class(role: Role) -> None:
    viewer = viewer_for(_person(role, "social"), RULES)
    assert viewer.visible_classes == ALL_CLASSES
    assert viewer.sees_identity
    assert (viewer.login, viewer.role, viewer.region, viewer.agency) == (
        "someone",
        role,
        "kamchatka",
        "social",
    )


@pytest.mark.parametrize("agency", ["health", "police", "education", "unknown-agency"])
def test_an_officer_sees_what_the_rules_let_their_agency_receive(agency: str) -> None:
    viewer = viewer_for(_person(Role.OFFICER, agency), RULES)
    assert viewer.visible_classes == RULES.visible_to(agency)
    assert viewer.sees_identity


def test_the_rules_give_officers_of_different_agencies_different_views() -> None:
    views = {
        agency: viewer_for(_person(Role.OFFICER, agency), RULES).visible_classes
        for agency in ("health", "police", "education")
    }
    assert len(set(views.values())) > 1


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.OBSERVER, Role.OPERATOR, Role.AUDITOR])
def test_the_hubs_staff_see_no_personal_data(role: Role) -> None:
    viewer = viewer_for(_person(role, None, region=None), RULES)
    assert viewer.visible_classes == frozenset()
    assert not viewer.sees_identity
    assert viewer.hub_wide
    assert viewer.region is None


@pytest.mark.parametrize(
    ("role", "operates", "evidence"),
    [
        (Role.ADMINISTRATOR, True, False),
        (Role.OBSERVER, False, False),
        (Role.OPERATOR, True, False),
        (Role.AUDITOR, False, True),
        (Role.SUPERVISOR, False, False),
    ],
)
def test_only_operators_steer_delivery_and_only_auditors_handle_evidence(
    role: Role, operates: bool, evidence: bool
) -> None:
    viewer = viewer_for(_person(role, None), RULES)
    assert (viewer.may_operate, viewer.may_request_evidence) == (operates, evidence)
