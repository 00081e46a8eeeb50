"""The case tracker follows a case through its lifecycle, on SQLite and PostgreSQL."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.cases import CaseProjector, rebuild_cases
from hub.ingest import Ingestor
from hub.regions import load_regions
from hub.store import (
    CaseAction,
    CaseActionStatus,
    CaseConflict,
    CaseConsent,
    CaseDeadline,
    CaseFile,
    CasePlan,
    CaseReferral,
    CaseReport,
)
from tests.factories import Signers
from tests.integration.cases.story import ACTIONS, KALUGA, CaseStory


@pytest.fixture
def story(ingestor: Ingestor, signers: Signers) -> CaseStory:
    return CaseStory(ingestor, signers, "KAM-2026-000123")


@pytest.fixture
def kaluga_story(ingestor: Ingestor, signers: Signers) -> CaseStory:
    """A Kaluga family's case: the centre numbers it with Kaluga's prefix."""
    return CaseStory(ingestor, signers, "KLG-2026-000123")


def case_of(session: Session, case_ref: str) -> CaseFile:
    return session.scalars(select(CaseFile).where(CaseFile.case_ref == case_ref)).one()


def test_a_case_moves_from_signal_to_closure(
    story: CaseStory, session_factory: sessionmaker[Session]
) -> None:
    story.referral()
    story.registered()
    with session_factory() as session:
        case = case_of(session, story.case_ref)
        assert (case.state, case.region, case.referrer) == ("signal", "kamchatka", "police")
        assert case.family_name
        assert case.children_count
        assert case.urgent  # the sample referral is urgent
        assert case.curator_name is not None
    story.surveyed(risk="high")
    story.consented()
    story.decided(category="sop")
    story.planned()
    for action_id in ACTIONS:
        story.status(action_id, "accepted")
    story.status("ИПСС-0457-03", "done")
    story.closed("goals_achieved")

    with session_factory() as session:
        case = case_of(session, story.case_ref)
        # The sample closure names a post-support period.
        assert case.state == "post_support"
        assert case.post_support_until is not None
        assert (case.category, case.risk_level, case.closure_reason) == (
            "sop",
            "high",
            "goals_achieved",
        )
        assert case.decision_body_kind == "kdn"
        assert None not in (case.survey_at, case.consent_at, case.decision_at, case.plan_at)
        actions = {a.action_id: a for a in session.scalars(select(CaseAction))}
        assert {a: actions[a].responsible_agency for a in actions} == ACTIONS
        assert actions["ИПСС-0457-03"].status == "done"
        assert actions["ИПСС-0457-07"].status == "accepted"
        history = session.scalars(
            select(CaseActionStatus.status).where(
                CaseActionStatus.action_row_id == actions["ИПСС-0457-03"].id
            )
        ).all()
        assert history == ["accepted", "done"]
        # Closure stops every clock: nothing on a closed case can go overdue.
        running = session.scalars(select(CaseDeadline).where(CaseDeadline.met_at.is_(None)))
        assert running.all() == []
        assert session.scalars(select(CaseConflict)).all() == []


def test_deadlines_follow_the_region_rules(
    kaluga_story: CaseStory, session_factory: sessionmaker[Session]
) -> None:
    kaluga_story.referral(region=KALUGA)
    kaluga_story.registered()
    kaluga_story.surveyed(risk="medium")
    kaluga_story.planned(deadlines=[date(2030, 1, 10), date(2030, 2, 10), date(2030, 3, 10)])
    kaluga = load_regions().get("kaluga")
    with session_factory() as session:
        case = case_of(session, kaluga_story.case_ref)
        assert case.region == "kaluga"
        referral = session.scalars(select(CaseReferral)).one()
        assert referral.receipt_at is not None
        assert referral.receipt_due_at == kaluga.stage_deadlines["urgent_receipt"].due(
            referral.received_at, kaluga.calendar
        )
        deadlines = {(d.kind, d.subject): d for d in session.scalars(select(CaseDeadline))}
        survey = deadlines[("survey", "")]
        assert survey.met_at is not None
        assert deadlines[("decision", "")].met_at is None
        health = deadlines[("action", "ИПСС-0457-03")]
        # The end of 10 January 2030 in Kaluga (UTC+3) is 21:00 UTC that day.
        assert health.due_at == datetime(2030, 1, 10, 21, 0, tzinfo=UTC)
        assert health.responsible == "health"
        acceptance = deadlines[("acceptance", "ИПСС-0457-03")]
        assert acceptance.due_at == kaluga.acceptance_deadline("medical").due(
            case.plan_at or datetime.now(UTC), kaluga.calendar
        )
        # Monthly reports in Kaluga: each executor owes one a month after the plan starts.
        reports = sorted(s for k, s in deadlines if k == "report")
        assert [s.split(":")[0] for s in reports] == ["education", "employment", "health"]


@pytest.mark.parametrize(
    ("setup", "message", "code"),
    [
        ("planned", "status_unknown_action", "case.action_unknown"),
        ("closed", "plan", "case.closed"),
        ("planned", "stale_plan", "case.plan_version_stale"),
        ("surveyed", "decision_without_consent", "case.consent_missing"),
    ],
)
def test_a_message_that_contradicts_the_case_is_kept_but_not_applied(
    story: CaseStory,
    session_factory: sessionmaker[Session],
    setup: str,
    message: str,
    code: str,
) -> None:
    story.referral()
    story.registered()
    story.surveyed()
    if setup in ("planned", "closed"):
        story.consented()
        story.decided()
        story.planned(version=2)
    if setup == "closed":
        story.closed()
    with session_factory() as session:
        before = _snapshot(session)

    sends = {
        "status_unknown_action": lambda: story.status("ИПСС-9999-01", "done", sender="health"),
        "plan": lambda: story.planned(version=3),
        "stale_plan": lambda: story.planned(version=1),
        "decision_without_consent": story.decided,
    }
    receipt = sends[message]()

    assert [c.code for c in receipt.case_conflicts] == [code]
    assert receipt.deliveries  # accepted and routed all the same
    with session_factory() as session:
        after = _snapshot(session)
        conflicts = session.scalars(select(CaseConflict)).all()
    assert [(c.code, c.message_type) for c in conflicts] == [(code, receipt.message_type)]
    # Nothing else changed: the case, plans, actions and deadlines are as before.
    assert _without_time(after) == _without_time(before)


def test_kaluga_decides_without_prior_consent(
    kaluga_story: CaseStory, session_factory: sessionmaker[Session]
) -> None:
    kaluga_story.referral(region=KALUGA)
    kaluga_story.registered()
    kaluga_story.surveyed()
    receipt = kaluga_story.decided(category="tjs")
    assert receipt.case_conflicts == ()
    with session_factory() as session:
        assert case_of(session, kaluga_story.case_ref).category == "tjs"


def test_rebuild_from_the_log_equals_the_live_projection(
    story: CaseStory, session_factory: sessionmaker[Session]
) -> None:
    story.referral()
    story.registered()
    story.surveyed()
    story.consented()
    story.decided()
    story.planned(version=1)
    story.status("ИПСС-0457-07", "accepted")
    story.planned(version=2, deadlines=[date.today() + timedelta(days=d) for d in (5, 50, 70)])
    story.status("ИПСС-9999-01", "done", sender="health")  # a conflict, kept as one
    story.send("PeriodicReport", "employment", {"PlanId": "ИПСС-0457"})
    story.closed()
    with session_factory() as session:
        live = _snapshot(session)

    with session_factory.begin() as session:
        replayed = rebuild_cases(session, CaseProjector(load_regions()))
    with session_factory() as session:
        rebuilt = _snapshot(session)

    assert replayed == 11
    assert rebuilt == live
    assert all(live[table] for table in ("CaseConflict", "CaseConsent", "CasePlan", "CaseReport"))


_TABLES = (
    CaseFile,
    CaseReferral,
    CasePlan,
    CaseAction,
    CaseActionStatus,
    CaseReport,
    CaseDeadline,
    CaseConflict,
    CaseConsent,
)
#: Surrogate keys differ after a rebuild (PostgreSQL sequences move on); natural keys don't.
_SURROGATE = {"id", "case_id", "action_row_id"}


#: A table's rows as sorted (column, value) pairs.
Snapshot = dict[str, list[tuple[tuple[str, object], ...]]]


def _snapshot(session: Session) -> Snapshot:
    """Every case table as sorted rows of natural values, with the case_ref for case_id."""
    # Looked up with None too, for the tables without a case_id or action_row_id.
    refs: dict[int | None, str] = dict(
        session.execute(select(CaseFile.id, CaseFile.case_ref)).all()
    )
    actions: dict[int | None, str] = dict(
        session.execute(select(CaseAction.id, CaseAction.action_id)).all()
    )
    snapshot: Snapshot = {}
    for table in _TABLES:
        columns = [c.key for c in table.__table__.columns]
        rows = []
        for row in session.scalars(select(table)):
            values = {c: getattr(row, c) for c in columns if c not in _SURROGATE}
            values["case"] = refs.get(getattr(row, "case_id", None))
            values["action"] = actions.get(getattr(row, "action_row_id", None))
            rows.append(tuple(sorted(values.items(), key=lambda kv: kv[0])))
        snapshot[table.__name__] = sorted(rows, key=repr)
    return snapshot


def _without_time(snapshot: Snapshot) -> dict[str, object]:
    """The snapshot without the case's updated_at (every message touches it)."""
    return {
        name: [tuple(kv for kv in row if kv[0] != "updated_at") for row in rows]
        for name, rows in snapshot.items()
        if name != "CaseConflict"
    }
