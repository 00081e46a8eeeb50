"""Many organisations per agency, through the real ingest on SQLite and PostgreSQL: two
schools registered under ``education``, each signing with its own certificate.

The rules name agencies; a school is judged by its agency, and a plan's action goes to the
school it names.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from hub.cases import CaseFilters, Role, Viewer, get_case, list_cases
from hub.errors import Rejection
from hub.escalation import escalate_overdue_actions
from hub.ingest import Ingestor, IngestReceipt
from hub.partners import register_partner
from hub.regions import load_regions
from hub.store import (
    CaseAction,
    CaseConflict,
    DeliveryMode,
    MessageLog,
    OutboxDelivery,
    Partner,
    make_engine,
    make_session_factory,
)
from hub.store.migrate import upgrade
from tests.factories import Signers, make_envelope
from tests.integration.cases.story import PLAN_ID, CaseStory

SCHOOLS = {"edu-school-a": "МБОУ «СОШ № 12»", "edu-school-b": "МБОУ «Гимназия № 1»"}
A_ACTION, B_ACTION, HEALTH_ACTION = "ИПСС-0457-07", "ИПСС-0457-09", "ИПСС-0457-03"

#: The shipped regions: due dates are read in each case region's calendar.
REGIONS = load_regions()


@pytest.fixture
def schools(
    session_factory: sessionmaker[Session], signers: Signers, partners: dict[str, str]
) -> None:
    """Two schools of the education agency, each with its own key and certificate."""
    with session_factory.begin() as session:
        for code, name in SCHOOLS.items():
            signers.pki.issue(code, name)
            register_partner(
                session,
                code=code,
                organisation=name,
                adapter="education",
                delivery_mode=DeliveryMode.PUSH,
                endpoint="http://127.0.0.1:9",
                now=datetime.now(UTC),
            )


def _planned(
    story: CaseStory, *executors: str, deadlines: list[date] | None = None
) -> IngestReceipt:
    """The sample plan with its three lines (health, then two) sent to ``executors``."""
    story.referral()
    story.registered()
    story.consented()  # Kamchatka sends a plan only under the family's consent
    today = date.today()
    dates = deadlines or [today + timedelta(days=d) for d in (30, 60, 90)]
    return story.send(
        "SupportPlan",
        "social",
        {
            "Period/From": today.isoformat(),
            "Actions/Action/ResponsibleAgency": ["health", *executors],
            "Actions/Action/Deadline": [d.isoformat() for d in dates],
        },
    )


def _status(story: CaseStory, action_id: str, sender: str) -> IngestReceipt:
    return story.send(
        "ActionStatusUpdate", sender, {"ActionId": action_id, "PlanId": PLAN_ID, "Status": "done"}
    )


def _recipients(receipt: IngestReceipt) -> list[str]:
    return sorted(d.recipient for d in receipt.deliveries)


@pytest.mark.usefixtures("schools")
def test_each_school_gets_the_plan_for_the_action_named_for_it(
    ingestor: Ingestor, signers: Signers, session_factory: sessionmaker[Session]
) -> None:
    story = CaseStory(ingestor, signers, "KAM-2026-000901")

    receipt = _planned(story, "edu-school-a", "edu-school-b")

    # Not the agency's own system, which no action names.
    assert _recipients(receipt) == ["edu-school-a", "edu-school-b", "health", "kdn"]
    with session_factory() as session:
        actions = {
            a.action_id: (a.executor, a.responsible_agency, a.responsible_organisation)
            for a in session.scalars(select(CaseAction))
        }
    # The tracker keeps the executor, its agency and the school's registered name.
    assert actions[A_ACTION] == ("edu-school-a", "education", SCHOOLS["edu-school-a"])
    assert actions[B_ACTION] == ("edu-school-b", "education", SCHOOLS["edu-school-b"])
    assert actions[HEALTH_ACTION][:2] == ("health", "health")


@pytest.mark.usefixtures("schools")
def test_an_agency_served_only_by_its_schools_must_be_named_in_the_plan(
    ingestor: Ingestor, signers: Signers, session_factory: sessionmaker[Session]
) -> None:
    # The education department's own system still takes the actions that name the agency.
    named_agency = _planned(CaseStory(ingestor, signers, "KAM-2026-000902"), "health", "education")
    assert _recipients(named_agency) == ["education", "health", "kdn"]
    with session_factory.begin() as session:
        department = session.scalars(select(Partner).where(Partner.code == "education")).one()
        department.active = False

    story = CaseStory(ingestor, signers, "KAM-2026-000903")
    with pytest.raises(Rejection) as refused:
        _planned(story, "health", "education")

    assert refused.value.code == "routing.executor_unnamed"
    assert "edu-school-a, edu-school-b" in refused.value.detail


@pytest.mark.usefixtures("schools")
def test_a_school_reports_on_its_own_action_and_not_on_the_other_schools(
    ingestor: Ingestor, signers: Signers, session_factory: sessionmaker[Session]
) -> None:
    story = CaseStory(ingestor, signers, "KAM-2026-000904")
    _planned(story, "edu-school-a", "edu-school-b")

    own = _status(story, A_ACTION, "edu-school-a")
    other = _status(story, B_ACTION, "edu-school-a")

    assert own.case_conflicts == ()
    # Accepted and delivered (the curator sees it), but not applied to school B's line.
    assert [c.code for c in other.case_conflicts] == ["case.action_not_executor"]
    assert _recipients(other) == ["social"]
    with session_factory() as session:
        status = {a.action_id: a.status for a in session.scalars(select(CaseAction))}
        [conflict] = session.scalars(select(CaseConflict)).all()
    assert (status[A_ACTION], status[B_ACTION]) == ("done", "assigned")
    assert conflict.sender == "edu-school-a"


@pytest.mark.usefixtures("schools")
def test_rules_naming_the_agency_apply_to_each_school(ingestor: Ingestor, signers: Signers) -> None:
    for school in SCHOOLS:
        referral = make_envelope("FamilyReferral", sender=school)
        receipt = ingestor.ingest(signers.sign(referral), authenticated=school)
        assert _recipients(receipt) == ["kdn", "social"]
        survey = make_envelope("SurveyAct", sender=school, case_ref="KAM-2026-000905")
        with pytest.raises(Rejection) as refused:
            ingestor.ingest(signers.sign(survey), authenticated=school)
        assert refused.value.code == "auth.type_not_allowed"


@pytest.mark.usefixtures("schools")
def test_a_school_certificate_cannot_sign_as_the_other_school(
    ingestor: Ingestor, signers: Signers, session_factory: sessionmaker[Session]
) -> None:
    forged = make_envelope("FamilyReferral", sender="edu-school-b")

    with pytest.raises(Rejection) as refused:
        ingestor.ingest(signers.sign(forged, "edu-school-a"), authenticated="edu-school-b")

    assert refused.value.code == "signature.signer_not_sender"
    with session_factory() as session:
        assert session.scalars(select(MessageLog)).all() == []


@pytest.mark.usefixtures("schools")
def test_a_school_sees_what_its_agency_sees(
    ingestor: Ingestor, signers: Signers, session_factory: sessionmaker[Session]
) -> None:
    story = CaseStory(ingestor, signers, "KAM-2026-000906")
    story.referral()
    # The status's comment is [social]: education may see it, the police may not.
    recipients = ("education", "edu-school-a", "police")

    receipt = story.send("ActionStatusUpdate", "social", recipients=recipients)

    with session_factory() as session:
        copies = {
            d.recipient: (d.payload, d.removed_classes)
            for d in session.scalars(
                select(OutboxDelivery).where(OutboxDelivery.message_log_id == receipt.hub_id)
            )
        }
    # The school's copy is the agency's very copy: the same classes removed, the same bytes.
    assert copies["edu-school-a"] == copies["education"]
    assert copies["edu-school-a"][1] is None
    assert copies["police"][1] == "social"


@pytest.mark.usefixtures("schools")
def test_the_overdue_notice_goes_to_the_school_that_executes_the_action(
    ingestor: Ingestor, signers: Signers, session_factory: sessionmaker[Session]
) -> None:
    story = CaseStory(ingestor, signers, "KAM-2026-000907")
    today = date.today()
    late = [today + timedelta(days=30), today - timedelta(days=1), today + timedelta(days=90)]
    _planned(story, "edu-school-a", "edu-school-b", deadlines=late)

    sent = escalate_overdue_actions(
        ingestor, session_factory, load_regions(), now=datetime.now(UTC)
    )

    assert sent == 1
    with session_factory() as session:
        notice = session.scalars(select(MessageLog).where(MessageLog.sender == "hub")).one()
        told = set(
            session.scalars(
                select(OutboxDelivery.recipient).where(OutboxDelivery.message_log_id == notice.id)
            )
        )
    assert told == {"social", "edu-school-a"}


@pytest.mark.usefixtures("schools")
def test_an_education_officer_sees_what_every_school_does_and_no_other_agency(
    ingestor: Ingestor, signers: Signers, session_factory: sessionmaker[Session]
) -> None:
    planned = CaseStory(ingestor, signers, "KAM-2026-000908")
    _planned(planned, "edu-school-a", "edu-school-b")
    _status(planned, B_ACTION, "edu-school-a")
    _status(planned, HEALTH_ACTION, "health")
    referred = CaseStory(ingestor, signers, "KAM-2026-000909")
    referred.referral(sender="edu-school-b")
    referred.registered()
    officer = Viewer(
        login="edu-officer",
        display_name="Инспектор управления образования",
        role=Role.OFFICER,
        region="kamchatka",
        agency="education",
        visible_classes=frozenset({"social"}),
    )
    now = datetime.now(UTC)

    with session_factory() as session:
        cases = [
            c.case_ref
            for c in list_cases(session, officer, CaseFilters(), now=now, regions=REGIONS)
        ]
        detail = get_case(session, officer, "KAM-2026-000908", now=now, regions=REGIONS)

    # The case a school referred, and the one where schools execute actions.
    assert sorted(cases) == ["KAM-2026-000908", "KAM-2026-000909"]
    assert {a.action_id: a.executor for a in detail.actions} == {
        A_ACTION: "edu-school-a",
        B_ACTION: "edu-school-b",
    }
    assert {d.responsible for d in detail.deadlines} == {"edu-school-a", "edu-school-b"}
    assert [(c.sender, c.code) for c in detail.conflicts] == [
        ("edu-school-a", "case.action_not_executor")
    ]
    seen = {
        (e.message_type, e.sender): {d.recipient for d in e.deliveries} for e in detail.timeline
    }
    # The plan with the schools' deliveries only; the school's status; not health's status.
    assert seen[("SupportPlan", "social")] == {"edu-school-a", "edu-school-b"}
    assert ("ActionStatusUpdate", "edu-school-a") in seen
    assert ("ActionStatusUpdate", "health") not in seen


def test_the_actions_of_before_migration_0009_are_executed_by_their_agency(
    empty_database_url: str,
) -> None:
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0007")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO case_file (id, case_ref, state, urgent, opened_at, updated_at)"
                    " VALUES (1, 'KAM-2026-000910', 'plan', :no, :at, :at)"
                ),
                {"no": False, "at": datetime(2027, 1, 1)},
            )
            connection.execute(
                text(
                    "INSERT INTO case_action (case_id, plan_id, plan_version, action_id, measure,"
                    " help_type, responsible_agency, deadline, due_at, status, status_at, in_plan)"
                    " VALUES (1, 'P', 1, 'P-1', 'Мера', 'social', 'education', :day, :at,"
                    " 'assigned', :at, :yes)"
                ),
                {"day": date(2027, 5, 31), "at": datetime(2027, 5, 31), "yes": True},
            )

        upgrade(engine)

        with make_session_factory(engine)() as session:
            action = session.scalars(select(CaseAction)).one()
        assert (action.executor, action.responsible_agency) == ("education", "education")
    finally:
        engine.dispose()
