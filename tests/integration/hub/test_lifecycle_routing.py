"""Routing of the whole catalogue on real databases: who receives each message of a case."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.errors import Rejection
from hub.ingest import Ingestor
from hub.store import CaseFile
from tests.factories import Signers, make_envelope

CASE = "KAM-2026-000777"
#: The sample consent's ConsentId: Kamchatka sends plans and requests only under it.
CONSENT = "СОГЛ-2026-0457"


class Case:
    """Drives one family's case through the ingest, as the agencies would."""

    def __init__(self, ingestor: Ingestor, signers: Signers) -> None:
        self.ingestor = ingestor
        self.signers = signers
        self.referral_id = ""

    def send(
        self, message_type: str, sender: str, *, correlation_id: str | None = None, **kw: object
    ) -> list[str]:
        envelope = make_envelope(
            message_type,
            sender=sender,
            correlation_id=correlation_id,
            **kw,  # type: ignore[arg-type]
        )
        receipt = self.ingestor.ingest(self.signers.sign(envelope), authenticated=sender)
        return sorted(d.recipient for d in receipt.deliveries)

    def open(self) -> None:
        referral = make_envelope("FamilyReferral", sender="police")
        self.ingestor.ingest(self.signers.sign(referral), authenticated="police")
        self.referral_id = referral.findtext("{*}Header/{*}MessageId") or ""
        self.send("ReferralReceipt", "social", correlation_id=self.referral_id, case_ref=CASE)


def test_each_message_of_a_case_reaches_who_the_rules_name(
    ingestor: Ingestor, signers: Signers, session_factory: sessionmaker[Session]
) -> None:
    case = Case(ingestor, signers)
    case.open()

    assert case.send("SurveyAct", "social", case_ref=CASE) == ["kdn"]
    assert case.send("ConsentRecord", "social", case_ref=CASE) == ["kdn"]
    # The decision goes to the owner, the commission and the police who raised the signal.
    assert case.send("CaseDecision", "kdn", case_ref=CASE) == ["police", "social"]
    with session_factory() as session:
        decided = session.scalars(select(CaseFile).where(CaseFile.case_ref == CASE)).one()
    assert decided.category == "sop"
    # Every agency with an action in the plan, and the commission.
    assert case.send("SupportPlan", "social", case_ref=CASE, consent_ref=CONSENT) == [
        "education", "employment", "health", "kdn",
    ]  # fmt: skip
    # Statuses: the case owner, and the commission because the case is СОП.
    assert case.send("ActionStatusUpdate", "health", case_ref=CASE) == ["kdn", "social"]
    assert case.send("PeriodicReport", "education", case_ref=CASE) == ["kdn", "social"]
    # Closure: everyone who took part in the case.
    assert case.send("CaseClosure", "social", case_ref=CASE) == [
        "education", "employment", "health", "kdn", "police",
    ]  # fmt: skip


def test_a_tjs_case_keeps_the_commission_out_of_routine_statuses(
    ingestor: Ingestor, signers: Signers
) -> None:
    case = Case(ingestor, signers)
    case.open()
    assert case.send("ActionStatusUpdate", "health", case_ref=CASE) == ["social"]


def test_an_information_request_goes_only_where_it_is_addressed(
    ingestor: Ingestor, signers: Signers
) -> None:
    case = Case(ingestor, signers)
    case.open()
    case.send("ConsentRecord", "social", case_ref=CASE)
    with pytest.raises(Rejection) as unaddressed:
        case.send("InformationRequest", "social", case_ref=CASE, consent_ref=CONSENT)
    assert unaddressed.value.code == "routing.no_recipients"

    request = make_envelope(
        "InformationRequest",
        sender="social",
        case_ref=CASE,
        recipients=("health",),
        consent_ref=CONSENT,
    )
    receipt = ingestor.ingest(signers.sign(request), authenticated="social")
    request_id = request.findtext("{*}Header/{*}MessageId")

    assert [d.recipient for d in receipt.deliveries] == ["health"]
    assert case.send("InformationResponse", "health", correlation_id=request_id) == ["social"]


def test_family_referral_1_1_is_accepted_beside_1_0(ingestor: Ingestor, signers: Signers) -> None:
    envelope = make_envelope("FamilyReferral", sender="police", version="1.1")
    receipt = ingestor.ingest(signers.sign(envelope), authenticated="police")
    assert sorted(d.recipient for d in receipt.deliveries) == ["kdn", "social"]
