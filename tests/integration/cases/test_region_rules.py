"""A region file with another decision body and case owner drives the case tracker, unchanged.

«Северная область» is made up: a family centre's system (``mfc``) owns its cases, and an
interagency commission, working through its own system (``mvk``), decides СОП. The test
writes the region file and routing rules that know both partners, as a deployment would,
and runs the shipped code on them: who owes the decision, who owes the plan and the
reports, and who is told of statuses and of an overdue action.
"""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.config import Settings
from hub.escalation import escalate_overdue_actions
from hub.ingest import Ingestor, build_ingestor
from hub.partners import register_partner
from hub.regions import RegionRules, load_regions
from hub.routing import load_rules
from hub.routing.rules import default_rules_file
from hub.store import CaseDeadline, DeliveryMode, MessageLog, OutboxDelivery
from tests.conftest import Enqueued
from tests.factories import Signers
from tests.integration.cases.story import CaseStory

NORTH = "Северная область"
REGION = """\
version: 1
name: Северная область
case_prefix: SEV
address_names: [Северная область]
timezone: Europe/Moscow
case_owner: mfc
decision_bodies:
  sop:
    kind: interagency_commission
    partner: mvk
    name: Межведомственная комиссия по делам несовершеннолетних и семьи
  tjs:
    kind: council
    partner: mfc
    name: Консилиум семейного многофункционального центра
consent_before_decision: false
consent_required_for: []
deadlines:
  receipt: 1 working_days
  urgent_receipt: 4 hours
  survey: 3 working_days
  decision: 10 working_days
  plan: 5 working_days
  information_response: 5 working_days
  assignment_acceptance: 3 working_days
reports:
  period_months: 1
  grace: 5 working_days
visits_per_month: 2
post_support_months: 6
"""
LATE = "ИПСС-0457-03"  # the sample plan's first line, here due yesterday


@pytest.fixture
def north(tmp_path: Path) -> tuple[Path, Path]:
    """The region folder and the routing rules of a deployment with mfc and mvk."""
    regions = tmp_path / "regions"
    regions.mkdir()
    (regions / "north.yaml").write_text(REGION, encoding="utf-8")
    rules = yaml.safe_load(default_rules_file().read_text(encoding="utf-8"))
    rules["visibility"] |= {"mfc": ["health", "conduct", "social"], "mvk": ["conduct", "social"]}
    # The curators' system may be told of a status, as the social centre's is elsewhere.
    rules["message_types"]["ActionStatusUpdate"]["allowed_recipients"].append("mfc")
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    return regions, rules_file


@pytest.fixture
def north_regions(north: tuple[Path, Path]) -> RegionRules:
    regions, rules_file = north
    return load_regions(regions, load_rules(rules_file))


@pytest.fixture
def north_ingestor(
    settings: Settings,
    session_factory: sessionmaker[Session],
    partners: dict[str, str],
    enqueued: Enqueued,
    north: tuple[Path, Path],
) -> Ingestor:
    regions, rules_file = north
    with session_factory.begin() as session:
        for code, organisation in (("mfc", "Семейный МФЦ"), ("mvk", "Межведомственная комиссия")):
            register_partner(
                session,
                code=code,
                organisation=organisation,
                adapter=code,
                delivery_mode=DeliveryMode.PULL,
                endpoint=None,
                now=datetime.now(UTC),
            )
    return build_ingestor(
        settings.model_copy(update={"regions_dir": regions, "routing_rules": rules_file}),
        session_factory,
        clock=lambda: datetime.now(UTC),
        on_committed=enqueued,
    )


def responsible(session: Session, kind: str) -> dict[str, str]:
    """{subject: responsible partner} of the case's deadlines of ``kind``."""
    rows = session.scalars(select(CaseDeadline).where(CaseDeadline.kind == kind))
    return {row.subject: row.responsible for row in rows}


@pytest.mark.parametrize(
    ("risk", "decides"), [("high", "mvk"), ("critical", "mvk"), ("low", "mfc")]
)
def test_the_body_for_the_category_the_risk_implies_owes_the_decision(
    north_ingestor: Ingestor,
    signers: Signers,
    session_factory: sessionmaker[Session],
    risk: str,
    decides: str,
) -> None:
    story = CaseStory(north_ingestor, signers, "SEV-2026-000001")
    story.referral(region=NORTH)
    story.registered()

    story.surveyed(risk=risk)

    with session_factory() as session:
        assert responsible(session, "decision") == {"": decides}


def test_the_case_owner_owes_the_plan_and_is_told_of_an_overdue_action_with_the_commission(
    north_ingestor: Ingestor,
    north_regions: RegionRules,
    signers: Signers,
    session_factory: sessionmaker[Session],
) -> None:
    # Given a СОП case of the region
    story = CaseStory(north_ingestor, signers, "SEV-2026-000002")
    story.referral(region=NORTH)
    story.registered()
    story.surveyed(risk="high")
    story.decided(category="sop")
    with session_factory() as session:
        assert responsible(session, "plan") == {"": "mfc"}

    # When its plan gives one action to the case owner itself, and one is late
    today = date.today()
    deadlines = [today - timedelta(days=1), today + timedelta(days=60), today + timedelta(days=90)]
    plan = story.send(
        "SupportPlan",
        "social",
        {
            "Period/From": today.isoformat(),
            "Actions/Action/Deadline": [d.isoformat() for d in deadlines],
            "Actions/Action/ResponsibleAgency": ["health", "mfc", "education"],
        },
    )
    status = story.status("ИПСС-0457-09", "accepted", sender="education")
    sent = escalate_overdue_actions(
        north_ingestor, session_factory, north_regions, now=datetime.now(UTC)
    )

    # Then every executor gets the plan; the executors but the case owner owe reports
    assert sorted(d.recipient for d in plan.deliveries) == ["education", "health", "kdn", "mfc"]
    with session_factory() as session:
        assert {s.split(":")[0] for s in responsible(session, "report")} == {"education", "health"}
    # A status of a СОП case reaches the commission of the region, not the shipped one's kdn
    assert sorted(d.recipient for d in status.deliveries) == ["mvk", "social"]
    # And the overdue notice goes to the case owner, the executor and the commission
    assert sent == 1
    with session_factory() as session:
        notice = session.scalars(select(MessageLog).where(MessageLog.sender == "hub")).one()
        told = session.scalars(
            select(OutboxDelivery.recipient).where(OutboxDelivery.message_log_id == notice.id)
        )
        assert sorted(told) == ["health", "mfc", "mvk"]
        assert responsible(session, "action")[LATE] == "health"
