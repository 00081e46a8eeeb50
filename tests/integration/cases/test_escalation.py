"""Actions past their deadline get one overdue notice, however often the job runs or restarts."""

import threading
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub.cases import notice_key
from hub.cases.deadlines import due_action_deadlines
from hub.cli.app import app
from hub.config import Settings
from hub.escalation import escalate_overdue_actions, escalate_unacknowledged_signals
from hub.ingest import Ingestor, build_ingestor
from hub.regions import load_regions
from hub.store import CaseAction, CaseDeadline, MessageLog, OutboxDelivery
from schemas import parse_xml, payload_of, read_header
from tests.conftest import Enqueued
from tests.factories import Signers, make_envelope
from tests.integration.cases.story import CaseStory

LATE = "ИПСС-0457-03"  # the health line, due yesterday
#: The shipped regions, which the ``ingestor`` fixture's hub runs with.
REGIONS = load_regions()


def late_plan(ingestor: Ingestor, signers: Signers) -> CaseStory:
    story = CaseStory(ingestor, signers, "KAM-2026-000777")
    story.referral()
    story.registered()
    story.surveyed()
    story.consented()
    story.decided()
    today = date.today()
    story.planned(
        deadlines=[
            today - timedelta(days=1),
            today + timedelta(days=60),
            today + timedelta(days=90),
        ]
    )
    return story


def notices(session: Session) -> list[MessageLog]:
    return list(session.scalars(select(MessageLog).where(MessageLog.sender == "hub")))


def test_an_overdue_action_is_escalated_once(
    ingestor: Ingestor,
    signers: Signers,
    session_factory: sessionmaker[Session],
    enqueued: Enqueued,
) -> None:
    late_plan(ingestor, signers)
    now = datetime.now(UTC)

    first = escalate_overdue_actions(ingestor, session_factory, REGIONS, now=now)
    again = escalate_overdue_actions(
        ingestor, session_factory, REGIONS, now=now + timedelta(hours=1)
    )

    assert (first, again) == (1, 0)
    with session_factory() as session:
        [notice] = notices(session)
        header = read_header(parse_xml(notice.raw))
        status = payload_of(parse_xml(notice.raw)).findtext("{*}Status")
        assert (header.message_type, status, header.case_ref) == (
            "ActionStatusUpdate",
            "overdue",
            "KAM-2026-000777",
        )
        recipients = set(
            session.scalars(
                select(OutboxDelivery.recipient).where(OutboxDelivery.message_log_id == notice.id)
            )
        )
        # The curator's system and the executor; the commission too, the case being СОП.
        assert recipients == {"social", "health", "kdn"}
        action = session.scalars(select(CaseAction).where(CaseAction.action_id == LATE)).one()
        assert action.status == "overdue"
        deadline = session.scalars(
            select(CaseDeadline).where(CaseDeadline.kind == "action", CaseDeadline.subject == LATE)
        ).one()
        assert deadline.escalation_message_id == notice.message_id
    # The notice woke its recipients' lanes like any message.
    assert set(enqueued.rows) >= {
        (d.recipient, d.priority)
        for d in _deliveries_of(session_factory, notice.id)
        if d.mode.value == "push"
    }


def test_two_workers_at_once_send_one_notice(
    settings: Settings,
    ingestor: Ingestor,
    signers: Signers,
    session_factory: sessionmaker[Session],
) -> None:
    late_plan(ingestor, signers)
    now = datetime.now(UTC)
    workers = [
        build_ingestor(
            settings, session_factory, clock=lambda: datetime.now(UTC), on_committed=list
        )
        for _ in range(2)
    ]
    sent: list[int] = []
    threads = [
        threading.Thread(
            target=lambda w=w: sent.append(
                escalate_overdue_actions(w, session_factory, REGIONS, now=now)
            )
        )
        for w in workers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(sent) == [0, 1]
    with session_factory() as session:
        assert len(notices(session)) == 1


def test_the_job_run_again_after_a_restart_sends_nothing_new(
    settings: Settings,
    ingestor: Ingestor,
    signers: Signers,
    session_factory: sessionmaker[Session],
) -> None:
    late_plan(ingestor, signers)
    env = {"HUB_DATA_DIR": str(settings.data_dir), "DATABASE_URL": settings.effective_database_url}
    runner = CliRunner()

    # Each run is a fresh process's worth of state: settings, keys, engine, ingestor.
    first = runner.invoke(app, ["cases", "escalate"], env=env)
    second = runner.invoke(app, ["cases", "escalate"], env=env)

    assert first.exit_code == 0, first.output
    assert "overdue notices sent: 1" in first.output
    assert "overdue notices sent: 0" in second.output
    with session_factory() as session:
        assert len(notices(session)) == 1


#: The namespace overdue notices' MessageIds were derived in before they became random:
#: anyone who knew a case, an action and its deadline could compute the id.
_OLD_NOTICE_NAMESPACE = uuid.UUID("6f1c1d0e-8a55-4d8e-9a44-0b7e1f0c2a11")


def test_a_partner_sending_the_notices_old_derived_id_first_neither_blocks_nor_fakes_it(
    ingestor: Ingestor,
    signers: Signers,
    session_factory: sessionmaker[Session],
) -> None:
    # Given a late action, and a partner who sent a message under the MessageId the
    # hub's notice for it would once have had
    late_plan(ingestor, signers)
    with session_factory() as session:
        deadline, _, case = next(
            row
            for row in due_action_deadlines(session, now=datetime.now(UTC), limit=10)
            if row[0].subject == LATE
        )
        old_id = str(uuid.uuid5(_OLD_NOTICE_NAMESPACE, notice_key(case, deadline)))
    squatter = ingestor.ingest(
        signers.sign(make_envelope("FamilyReferral", sender="police", message_id=old_id)),
        authenticated="police",
    )

    # When the deadline job runs
    sent = escalate_overdue_actions(ingestor, session_factory, REGIONS, now=datetime.now(UTC))

    # Then the hub's notice goes out all the same, under an id of its own, and the
    # escalation is recorded as the hub's notice, not the partner's message
    assert sent == 1
    with session_factory() as session:
        [notice] = notices(session)
        assert notice.message_id != old_id
        deadline = session.scalars(
            select(CaseDeadline).where(CaseDeadline.kind == "action", CaseDeadline.subject == LATE)
        ).one()
        assert deadline.escalation_message_id == notice.message_id
        assert session.get_one(MessageLog, squatter.hub_id).sender == "police"


def _deliveries_of(
    session_factory: sessionmaker[Session], message_log_id: int
) -> list[OutboxDelivery]:
    with session_factory() as session:
        return list(
            session.scalars(
                select(OutboxDelivery).where(OutboxDelivery.message_log_id == message_log_id)
            )
        )


# --- Urgent signals nobody acknowledged -----------------------------------------------------


def urgent_signal(ingestor: Ingestor, signers: Signers) -> CaseStory:
    """An urgent police referral about a Kamchatka family (24 hours to acknowledge)."""
    story = CaseStory(ingestor, signers, "KAM-2026-000778")
    receipt = story.send(
        "FamilyReferral",
        "police",
        {"Family/Address/Region": "Камчатский край"},
        case=False,
        priority="urgent",
    )
    story.referral_message_id = receipt.message_id
    return story


def test_an_urgent_signal_unacknowledged_past_its_deadline_is_escalated_once(
    ingestor: Ingestor, signers: Signers, session_factory: sessionmaker[Session]
) -> None:
    story = urgent_signal(ingestor, signers)
    now = datetime.now(UTC)

    early = escalate_unacknowledged_signals(ingestor, session_factory, REGIONS, now=now)
    late = now + timedelta(hours=25)
    first = escalate_unacknowledged_signals(ingestor, session_factory, REGIONS, now=late)
    again = escalate_unacknowledged_signals(
        ingestor, session_factory, REGIONS, now=late + timedelta(hours=1)
    )

    assert (early, first, again) == (0, 1, 0)
    with session_factory() as session:
        [notice] = notices(session)
        envelope = parse_xml(notice.raw)
        header = read_header(envelope)
        assert (header.message_type, header.priority) == ("InformationRequest", "urgent")
        questions = payload_of(envelope).findtext("{*}Questions") or ""
        assert "не подтверждено" in questions
        recipients = set(
            session.scalars(
                select(OutboxDelivery.recipient).where(OutboxDelivery.message_log_id == notice.id)
            )
        )
        # The region's case owner, and nobody else: the family's name is not in it either.
        assert recipients == {"social"}
        assert story.referral_message_id not in questions


def test_an_acknowledged_or_routine_signal_is_not_escalated(
    ingestor: Ingestor, signers: Signers, session_factory: sessionmaker[Session]
) -> None:
    urgent_signal(ingestor, signers).registered()
    CaseStory(ingestor, signers, "KAM-2026-000779").send(
        "FamilyReferral",
        "police",
        {"Family/Address/Region": "Камчатский край", "Urgency": "routine"},
        case=False,
        priority="routine",
    )  # unacknowledged, but routine
    late = datetime.now(UTC) + timedelta(days=10)

    sent = escalate_unacknowledged_signals(ingestor, session_factory, REGIONS, now=late)

    assert sent == 0
