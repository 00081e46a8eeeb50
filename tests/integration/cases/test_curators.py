"""Who curates a case: the case owner's staff id, a supervisor's assignment, and which wins.

Real signed messages through the real ingest pipeline, on SQLite and PostgreSQL.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.cases import (
    CaseNotVisible,
    CaseProjector,
    CuratorNotAssignable,
    Role,
    Viewer,
    assign_curator,
    rebuild_cases,
)
from hub.ingest import Ingestor
from hub.people import add_person
from hub.regions import load_regions
from hub.store import CaseAction, CaseCuratorAssignment, CaseFile
from tests.factories import Signers
from tests.integration.cases.story import CaseStory

#: The staff id in the 1.1 examples (schemas/examples/*-1.1.xml).
EXAMPLE_STAFF_ID = "КЦ-0457"
SUPERVISOR = Viewer("boss", "Руководитель", Role.SUPERVISOR, "kamchatka", "social", frozenset())
PASSWORD = "пароль-для-проверки-2026"


@pytest.fixture
def story(ingestor: Ingestor, signers: Signers) -> CaseStory:
    return CaseStory(ingestor, signers, "KAM-2026-000777")


def _case(session_factory: sessionmaker[Session], case_ref: str) -> CaseFile:
    with session_factory() as session:
        case = session.scalars(select(CaseFile).where(CaseFile.case_ref == case_ref)).one()
        session.expunge(case)
        return case


def _registered_1_1(story: CaseStory, staff_id: str) -> None:
    story.send(
        "ReferralReceipt",
        "social",
        {
            "ReferralMessageId": story.referral_message_id,
            "Outcome": "registered",
            "Curator/StaffId": staff_id,
        },
        correlation_id=story.referral_message_id,
        version="1.1",
    )


def _add_curator(session: Session, login: str, staff_id: str | None, region: str) -> None:
    add_person(
        session,
        login=login,
        display_name=f"Куратор {login}",
        role=Role.CURATOR,
        region=region,
        agency="social",
        password=PASSWORD,
        now=datetime.now(UTC),
        staff_id=staff_id,
    )


def test_the_owners_staff_id_binds_the_case_and_a_1_0_message_binds_nobody(
    story: CaseStory, session_factory: sessionmaker[Session]
) -> None:
    story.referral()
    story.registered()  # 1.0: a curator by name only
    case = _case(session_factory, story.case_ref)
    assert (case.curator_name, case.curator_staff_id) == ("Лебедева Марина Олеговна", None)
    _registered_1_1(story, "ТН-0101")
    case = _case(session_factory, story.case_ref)
    assert (case.curator_staff_id, case.named_curator_staff_id) == ("ТН-0101", "ТН-0101")
    # The commission's decision names a curator with a staff id: not the owner's to bind.
    story.surveyed()
    story.consented()
    story.send("CaseDecision", "kdn", {"Outcome": "recognised"}, version="1.1")
    case = _case(session_factory, story.case_ref)
    assert case.decision_outcome == "recognised"
    assert case.curator_staff_id == "ТН-0101"


def test_an_assignment_holds_until_the_owner_names_another_curator_and_survives_a_rebuild(
    story: CaseStory, session_factory: sessionmaker[Session]
) -> None:
    # Given a case the centre gave to ТН-0101, and a supervisor who reassigns it.
    story.referral()
    _registered_1_1(story, "ТН-0101")
    with session_factory.begin() as session:
        _add_curator(session, "ivanova", "ТН-0202", "kamchatka")
        done = assign_curator(session, SUPERVISOR, story.case_ref, "ivanova", now=datetime.now(UTC))
    assert (done.from_staff_id, done.to_staff_id, done.assigned_by) == (
        "ТН-0101",
        "ТН-0202",
        "boss",
    )
    assert done.to_name == "Куратор ivanova"
    # When the centre names the same curator as before, the assignment holds.
    story.surveyed()
    story.consented()
    story.send("SupportPlan", "social", {"Curator/StaffId": "ТН-0101"}, version="1.1")
    assert _case(session_factory, story.case_ref).curator_staff_id == "ТН-0202"
    _rebuild(session_factory)
    assert _case(session_factory, story.case_ref).curator_staff_id == "ТН-0202"
    # When it names another curator in a later message, the centre's word wins.
    story.send(
        "SupportPlan", "social", {"Version": "3", "Curator/StaffId": "ТН-0303"}, version="1.1"
    )
    case = _case(session_factory, story.case_ref)
    assert (case.curator_staff_id, case.curator_name) == ("ТН-0303", "Лебедева Марина Олеговна")
    _rebuild(session_factory)
    assert _case(session_factory, story.case_ref).curator_staff_id == "ТН-0303"
    with session_factory() as session:
        assert session.scalars(select(CaseCuratorAssignment.to_staff_id)).all() == ["ТН-0202"]


def _rebuild(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        rebuild_cases(session, CaseProjector(load_regions()))


@pytest.mark.parametrize(
    ("login", "reason"),
    [
        ("nobody", "unknown_login"),
        ("no-staff-id", "no_staff_id"),
        ("kaluga", "other_region"),
        ("owner", "already_curator"),
    ],
)
def test_an_account_that_cannot_curate_the_case_is_refused(
    story: CaseStory, session_factory: sessionmaker[Session], login: str, reason: str
) -> None:
    story.referral()
    _registered_1_1(story, "ТН-0101")
    with session_factory.begin() as session:
        _add_curator(session, "no-staff-id", None, "kamchatka")
        _add_curator(session, "kaluga", "ТН-0404", "kaluga")
        _add_curator(session, "owner", "ТН-0101", "kamchatka")
    with session_factory.begin() as session, pytest.raises(CuratorNotAssignable) as refused:
        assign_curator(session, SUPERVISOR, story.case_ref, login, now=datetime.now(UTC))
    assert (refused.value.code, refused.value.reason) == ("request.curator_not_assignable", reason)
    assert _case(session_factory, story.case_ref).curator_staff_id == "ТН-0101"


def test_a_supervisor_assigns_only_in_their_region(
    story: CaseStory, session_factory: sessionmaker[Session]
) -> None:
    story.referral()
    _registered_1_1(story, "ТН-0101")
    elsewhere = Viewer("kaluga-boss", "Руководитель", Role.SUPERVISOR, "kaluga", None, frozenset())
    with session_factory.begin() as session, pytest.raises(CaseNotVisible):
        assign_curator(session, elsewhere, story.case_ref, "anyone", now=datetime.now(UTC))


def test_a_plan_line_keeps_its_specialists_name_position_and_phone(
    story: CaseStory, session_factory: sessionmaker[Session]
) -> None:
    story.referral()
    story.registered()
    story.consented()  # Kamchatka's plan rests on the family's consent
    story.planned()
    with session_factory() as session:
        action = session.scalars(
            select(CaseAction).where(CaseAction.action_id == "ИПСС-0457-03")
        ).one()
        assert action.specialist_name
        assert action.specialist_position
        assert action.specialist_phone
