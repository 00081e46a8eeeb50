"""Every case has a region, and never by default: the referral's, or its number's prefix.

A case is opened by its referral (the family's region) or by the receipt that
registers a referral (that referral's region); a case another message names first
takes the region whose prefix its number carries, and one whose region cannot be known
is refused. A number registered for a referral must carry its region's prefix.
"""

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.errors import Rejection
from hub.ingest import Ingestor
from hub.store import CaseConflict, CaseFile, CaseReferral, MessageLog
from hub.store import Rejection as RejectionRow
from tests.factories import Signers, make_envelope
from tests.integration.cases.story import KALUGA, CaseStory


def _case(session: Session, case_ref: str) -> CaseFile | None:
    return session.scalars(select(CaseFile).where(CaseFile.case_ref == case_ref)).first()


def test_a_receipt_opens_the_case_in_its_referrals_region(
    ingestor: Ingestor, signers: Signers, session_factory: sessionmaker[Session]
) -> None:
    story = CaseStory(ingestor, signers, "KLG-2026-000001")
    story.referral(region=KALUGA)

    assert story.registered().case_conflicts == ()

    with session_factory() as session:
        case = _case(session, story.case_ref)
        assert case is not None
        assert case.region == "kaluga"
        assert session.scalars(select(CaseReferral.case_id)).one() == case.id


def test_a_number_of_another_region_registered_for_a_referral_is_a_conflict(
    ingestor: Ingestor, signers: Signers, session_factory: sessionmaker[Session]
) -> None:
    # Given a Kaluga family's referral, registered under a Kamchatka number
    story = CaseStory(ingestor, signers, "KAM-2026-000002")
    story.referral(region=KALUGA)

    receipt = story.registered()

    # Then the receipt is accepted but not applied: the referral stays unacknowledged,
    # and the case the number opened is the family's region's, with the conflict on it
    assert [note.code for note in receipt.case_conflicts] == ["case.region_mismatch"]
    assert "KLG-" in receipt.case_conflicts[0].detail
    with session_factory() as session:
        referral = session.scalars(select(CaseReferral)).one()
        assert (referral.case_id, referral.receipt_at) == (None, None)
        case = _case(session, story.case_ref)
        assert case is not None
        assert case.region == "kaluga"
        conflict = session.scalars(select(CaseConflict)).one()
        assert (conflict.case_id, conflict.code) == (case.id, "case.region_mismatch")


def test_a_referral_naming_a_case_of_another_region_is_not_attached_to_it(
    ingestor: Ingestor, signers: Signers, session_factory: sessionmaker[Session]
) -> None:
    # Given a Kamchatka case
    kamchatka = CaseStory(ingestor, signers, "KAM-2026-000003")
    kamchatka.referral()
    kamchatka.registered()

    # When a Kaluga family's referral names that case
    receipt = kamchatka.send("FamilyReferral", "police", {"Family/Address/Region": KALUGA})

    # Then it is logged, delivered and kept as a signal, but not filed under the case
    assert [note.code for note in receipt.case_conflicts] == ["case.region_mismatch"]
    with session_factory() as session:
        attached = session.scalars(
            select(CaseReferral.region).where(CaseReferral.case_id.is_not(None))
        ).all()
        assert attached == ["kamchatka"]
        assert session.scalar(select(func.count()).select_from(CaseReferral)) == 2


def test_a_case_first_named_by_another_message_takes_its_numbers_region(
    ingestor: Ingestor, signers: Signers, session_factory: sessionmaker[Session]
) -> None:
    story = CaseStory(ingestor, signers, "KLG-2026-000004")

    story.surveyed(risk="medium")

    with session_factory() as session:
        case = _case(session, story.case_ref)
        assert case is not None
        assert case.region == "kaluga"


@pytest.mark.parametrize("case_ref", ["TVR-2026-000001", "2026-000001"])
def test_a_case_whose_region_cannot_be_known_is_refused(
    ingestor: Ingestor, signers: Signers, session_factory: sessionmaker[Session], case_ref: str
) -> None:
    # Given a survey act naming a case the hub has not seen, numbered by no served region
    raw = signers.sign(make_envelope("SurveyAct", sender="social", case_ref=case_ref))

    with pytest.raises(Rejection) as refused:
        ingestor.ingest(raw, authenticated="social")

    # Then it is refused and recorded; no case is opened in any region
    assert refused.value.code == "routing.case_region_unknown"
    assert "KAM-, KLG-" in refused.value.detail
    with session_factory() as session:
        assert session.scalars(select(RejectionRow.code)).one() == "routing.case_region_unknown"
        assert session.scalar(select(func.count()).select_from(MessageLog)) == 0
        assert session.scalar(select(func.count()).select_from(CaseFile)) == 0
