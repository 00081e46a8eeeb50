"""The hub's overdue notice is a canonical ActionStatusUpdate, told to whom the region says."""

import dataclasses
import uuid
from datetime import UTC, date, datetime

import pytest

from hub.cases.notices import HUB_ORGANISATION, NOTICE_LAW, notice_key, overdue_notice
from hub.regions import load_regions
from hub.store import CaseAction, CaseDeadline, CaseFile
from schemas import canonical as c

KAMCHATKA = load_regions().get("kamchatka")
NOW = datetime(2026, 12, 3, 8, 30, 15, 123456, tzinfo=UTC)


def late_action(category: str | None) -> tuple[CaseFile, CaseAction, CaseDeadline]:
    case = CaseFile(case_ref="KAM-2026-000777", category=category, region="kamchatka")
    action = CaseAction(
        action_id="ИПСС-0457-03",
        plan_id="ИПСС-0457",
        responsible_agency="health",
        executor="health",
        responsible_organisation=None,
        deadline=date(2026, 12, 1),
    )
    deadline = CaseDeadline(
        kind="action", subject="ИПСС-0457-03", due_at=datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    )
    return case, action, deadline


def test_the_notice_is_a_valid_action_status_update_that_reads_back() -> None:
    case, action, deadline = late_action("sop")

    # from_envelope validates the envelope and the payload against their XSDs first.
    message = c.from_envelope(overdue_notice(case, action, region=KAMCHATKA, now=NOW))

    assert message.payload == c.ActionStatusUpdate(
        action_id="ИПСС-0457-03",
        plan_id="ИПСС-0457",
        status="overdue",
        status_at=datetime(2026, 12, 3, 8, 30, 15, tzinfo=UTC),
        # The agency's name where the plan names no organisation, never its code.
        organisation=c.Organisation(name="здравоохранение"),
        comment="Срок исполнения мероприятия (01.12.2026) истёк, отметка о выполнении не поступила",
    )
    header = message.header
    assert (header.sender, header.sender_organisation, header.law) == (
        "hub",
        HUB_ORGANISATION,
        NOTICE_LAW,
    )
    assert (header.case_ref, header.priority, header.created_at) == (case.case_ref, "routine", NOW)
    # Random, so that no partner can send a message under it first.
    assert uuid.UUID(header.message_id).version == 4
    again = c.from_envelope(overdue_notice(case, action, region=KAMCHATKA, now=NOW))
    assert again.header.message_id != header.message_id
    # What makes it once per deadline is its key: the case, the action and the deadline.
    assert (
        notice_key(case, deadline)
        == "overdue:KAM-2026-000777:ИПСС-0457-03:2026-12-01T12:00:00+00:00"
    )


@pytest.mark.parametrize(
    ("category", "told"),
    [
        ("sop", ("social", "health", "kdn")),
        ("tjs", ("social", "health")),
        (None, ("social", "health")),
    ],
)
def test_the_case_owner_and_the_executor_are_told_and_for_sop_the_commission(
    category: str | None, told: tuple[str, ...]
) -> None:
    case, action, _ = late_action(category)

    notice = overdue_notice(case, action, region=KAMCHATKA, now=NOW)

    assert c.from_envelope(notice).header.recipients == told


def test_whom_to_tell_comes_from_the_region() -> None:
    # Given a region whose cases a family centre owns, and whose СОП an interagency
    # commission decides (the file-backed form is in tests/integration/cases)
    commission = dataclasses.replace(
        KAMCHATKA.decision_bodies["sop"], kind="interagency_commission", partner="mvk"
    )
    north = dataclasses.replace(
        KAMCHATKA,
        case_owner="mfc",
        decision_bodies={**KAMCHATKA.decision_bodies, "sop": commission},
    )
    case, action, _ = late_action("sop")

    notice = overdue_notice(case, action, region=north, now=NOW)

    assert c.from_envelope(notice).header.recipients == ("mfc", "health", "mvk")
