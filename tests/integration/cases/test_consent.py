"""The family's consent decides what later copies carry, on SQLite and PostgreSQL.

A withdrawal or a narrowing changes the copies of the messages that follow it (the
delivered bytes, checked field by field); what 120-ФЗ lets the commission receive without
consent still reaches it; copies sent before are not recalled.
"""

import pytest
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.errors import Rejection
from hub.ingest import Ingestor, IngestReceipt
from hub.store import CaseConsent, MessageLog, OutboxDelivery
from schemas import parse_xml, payload_of
from tests.factories import Signers, make_envelope
from tests.integration.cases.story import CONSENT_ID, KALUGA, CaseStory, set_texts


@pytest.fixture
def story(ingestor: Ingestor, signers: Signers) -> CaseStory:
    return CaseStory(ingestor, signers, "KLG-2026-000321")


def _record_consent(
    story: CaseStory, status: str, *, without: tuple[str, ...] = ()
) -> IngestReceipt:
    """The sample ConsentRecord (same ConsentId) with ``status``, minus the scopes ``without``."""
    envelope = make_envelope("ConsentRecord", sender="social", case_ref=story.case_ref)
    set_texts(envelope, {"Status": status})
    scopes = payload_of(envelope).find("{*}Scopes")
    assert scopes is not None
    for scope in list(scopes):
        if scope.text in without:
            scopes.remove(scope)
    return story.ingest(envelope)


def _copies(session: Session, receipt: IngestReceipt) -> dict[str, etree._Element]:
    """Each recipient's delivered copy of the message of ``receipt``, parsed."""
    rows = session.execute(
        select(OutboxDelivery.recipient, OutboxDelivery.payload).where(
            OutboxDelivery.message_log_id == receipt.hub_id
        )
    )
    return {recipient: payload_of(parse_xml(payload)) for recipient, payload in rows}


def _has(payload: etree._Element, path: str) -> bool:
    return payload.find("/".join(f"{{*}}{step}" for step in path.split("/"))) is not None


def test_a_withdrawal_strips_later_copies_but_not_what_the_law_gives_the_commission(
    story: CaseStory, session_factory: sessionmaker[Session]
) -> None:
    # Given a Kaluga family (no consent required before the plan) that consented in full
    story.referral(region=KALUGA)
    story.registered()
    story.consented()
    first = story.planned(version=1)
    # When the family withdraws its consent and the curator revises the plan
    _record_consent(story, "withdrawn")
    story.consent_ref = None  # a withdrawn consent can no longer be named
    second = story.planned(version=2)

    with session_factory() as session:
        before, after = _copies(session, first), _copies(session, second)
    # Then the executors' later copies lose the social class (goals, notes)...
    assert _has(before["health"], "Goals")
    assert _has(before["health"], "Actions/Action/Notes")
    assert not _has(after["health"], "Goals")
    assert not _has(after["health"], "Actions/Action/Notes")
    assert not _has(after["employment"], "Goals")
    # ...the commission keeps what it needs for its proceedings (120-ФЗ, ст. 11)...
    assert _has(after["kdn"], "Goals")
    # ...and the copies sent before the withdrawal stay as they were delivered.
    assert _has(before["employment"], "Goals")


def test_consent_without_medical_keeps_health_data_out_of_later_copies(
    story: CaseStory, session_factory: sessionmaker[Session]
) -> None:
    story.referral(region=KALUGA)
    story.registered()
    story.consented()
    asked = story.send("InformationRequest", "social", recipients=("health",))
    full = story.send("InformationResponse", "health", correlation_id=asked.message_id)
    _record_consent(story, "given", without=("medical",))
    narrowed = story.send("InformationResponse", "health", correlation_id=asked.message_id)

    with session_factory() as session:
        before, after = _copies(session, full)["social"], _copies(session, narrowed)["social"]
        consent = session.scalars(select(CaseConsent)).one()
    assert _has(before, "HealthInformation")
    assert not _has(after, "HealthInformation")
    assert _has(after, "ConductInformation")
    assert _has(after, "Answer")
    assert (consent.consent_id, consent.status) == (CONSENT_ID, "given")
    assert consent.scopes == "data_exchange,data_processing,support"


def test_kamchatka_sends_a_plan_only_under_the_familys_consent(
    ingestor: Ingestor, signers: Signers, session_factory: sessionmaker[Session]
) -> None:
    story = CaseStory(ingestor, signers, "KAM-2026-000777")
    story.referral()
    story.registered()
    with session_factory() as session:
        logged = session.scalars(select(MessageLog.id)).all()

    with pytest.raises(Rejection) as refused:
        story.planned()

    assert refused.value.code == "consent.required"
    with session_factory() as session:
        assert session.scalars(select(MessageLog.id)).all() == logged
    story.consented()
    assert story.planned().deliveries
