"""The message trace on a real database: search by every filter, and one message's detail.

Given referrals accepted through the real ingest pipeline (signed with the dev PKI),
the search finds them by ids, case, partner, type, time and delivery state; the
detail shows deliveries with their attempts, a verification report of the stored
original, the chain link, and the XML with every personal-data element masked.
"""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from hub.admin import (
    MASK,
    TraceFilters,
    TrustMaterial,
    get_message_detail,
    mask_personal_data,
    search_messages,
)
from hub.errors import NotFound
from hub.ingest import Ingestor, IngestReceipt
from hub.store import DeliveryAttempt, DeliveryStatus, MessageLog, OutboxDelivery
from signing import DevPki, VerifyPolicy
from tests.factories import Signers, make_envelope

#: Personal data in schemas/examples/FamilyReferral-1.0.xml: names, phone, address, birth date.
PERSONAL = ("Вершинина", "Ольга", "Сорокина", "+7 900 000-00-01", "Ключевская", "1991-03-14")


@pytest.fixture
def accepted(ingestor: Ingestor, signers: Signers) -> list[IngestReceipt]:
    """Two referrals from police (one with a case reference) and one from kdn."""
    return [
        ingestor.ingest(
            signers.sign(make_envelope(sender="police", case_ref="KAM-7")), authenticated="police"
        ),
        ingestor.ingest(signers.sign(make_envelope(sender="police")), authenticated="police"),
        ingestor.ingest(signers.sign(make_envelope(sender="kdn")), authenticated="kdn"),
    ]


@pytest.fixture
def trust(pki: DevPki) -> TrustMaterial:
    return TrustMaterial.load(pki.root, VerifyPolicy())


def _ids(session_factory: sessionmaker[Session], filters: TraceFilters) -> list[int]:
    with session_factory() as session:
        return [row.hub_id for row in search_messages(session, filters)]


def test_search_finds_messages_by_each_filter(
    accepted: list[IngestReceipt], session_factory: sessionmaker[Session]
) -> None:
    first, second, third = (r.hub_id for r in accepted)
    assert _ids(session_factory, TraceFilters()) == [third, second, first]
    assert _ids(session_factory, TraceFilters(ref=accepted[1].message_id)) == [second]
    assert _ids(session_factory, TraceFilters(ref=str(first))) == [first]
    assert _ids(session_factory, TraceFilters(case_ref="KAM-7")) == [first]
    # A partner finds what it sent and what was sent to it.
    senders = ("police", "police", "kdn")
    for partner in ("police", "kdn", "social"):
        expected = [
            r.hub_id
            for r, sender in reversed(list(zip(accepted, senders, strict=True)))
            if sender == partner or partner in {d.recipient for d in r.deliveries}
        ]
        assert _ids(session_factory, TraceFilters(partner=partner)) == expected
    assert _ids(session_factory, TraceFilters(message_type="FamilyReferral")) == [
        third,
        second,
        first,
    ]
    assert _ids(session_factory, TraceFilters(message_type="CaseClosure")) == []
    future = datetime.now(UTC) + timedelta(hours=1)
    assert _ids(session_factory, TraceFilters(since=future)) == []
    assert _ids(session_factory, TraceFilters(until=future)) == [third, second, first]

    # By delivery state: one row of the second message goes dead.
    with session_factory.begin() as session:
        session.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.message_log_id == second)
            .values(status=DeliveryStatus.DEAD)
        )
    assert _ids(session_factory, TraceFilters(status=DeliveryStatus.DEAD)) == [second]


def test_detail_shows_deliveries_attempts_verification_and_chain(
    accepted: list[IngestReceipt], session_factory: sessionmaker[Session], trust: TrustMaterial
) -> None:
    hub_id = accepted[0].hub_id
    now = datetime.now(UTC)
    with session_factory.begin() as session:
        delivery = session.get_one(MessageLog, hub_id).deliveries[0]
        session.add(
            DeliveryAttempt(
                delivery_id=delivery.id,
                number=1,
                started_at=now,
                finished_at=now + timedelta(milliseconds=250),
                outcome="retry",
                error="partner unavailable: connection refused",
            )
        )
        delivery_id = delivery.id
    with session_factory() as session:
        detail = get_message_detail(session, accepted[0].message_id, trust=trust, now=now)

    assert (detail.hub_id, detail.sender, detail.case_ref) == (hub_id, "police", "KAM-7")
    view = next(d for d in detail.deliveries if d.id == delivery_id)
    (attempt,) = view.attempt_log
    assert attempt.outcome == "retry"
    assert attempt.duration_ms == pytest.approx(250.0)
    assert attempt.error == "partner unavailable: connection refused"

    report = detail.verification
    assert report is not None
    assert report.valid, report.detail
    assert report.outcome == "ok"
    assert report.verified_at == detail.received_at
    assert report.signer_system == "police"
    assert report.certificate is not None
    assert "CN=police" in report.certificate.subject
    assert report.certificate.key_algorithm == "RSA, 2048 бит"
    assert report.chain_to_ca
    assert report.revoked_now is False
    assert detail.chain.consistent
    assert len(detail.chain.chain_hash) == 64


def test_detail_masks_every_personal_element(
    accepted: list[IngestReceipt], session_factory: sessionmaker[Session], trust: TrustMaterial
) -> None:
    with session_factory() as session:
        detail = get_message_detail(
            session, str(accepted[0].hub_id), trust=trust, now=datetime.now(UTC)
        )
        raw = session.get_one(MessageLog, accepted[0].hub_id).raw
    for value in PERSONAL:
        assert value.encode() in raw
        assert value not in detail.masked_xml
    assert MASK in detail.masked_xml
    # What is not personal stays readable: the referral's number and the header.
    assert "КУСП № 18734" in detail.masked_xml
    assert accepted[0].message_id in detail.masked_xml


def test_an_unreadable_message_is_masked_whole() -> None:
    assert mask_personal_data(b"<not-xml") == MASK


def test_a_certificate_revoked_later_is_valid_at_reception_and_revoked_now(
    accepted: list[IngestReceipt],
    session_factory: sessionmaker[Session],
    pki: DevPki,
) -> None:
    pki.revoke("police")
    with session_factory() as session:
        report = get_message_detail(
            session,
            str(accepted[0].hub_id),
            trust=TrustMaterial.load(pki.root, VerifyPolicy()),
            now=datetime.now(UTC),
        ).verification
    assert report is not None
    assert report.valid
    assert report.revoked_now is True
    assert report.revoked_at is not None


def test_an_altered_original_fails_verification_and_its_chain_link(
    accepted: list[IngestReceipt], session_factory: sessionmaker[Session], trust: TrustMaterial
) -> None:
    hub_id = accepted[0].hub_id
    with session_factory.begin() as session:
        raw = session.get_one(MessageLog, hub_id).raw
        altered = raw.replace("Ключевская".encode(), "Садовая".encode())
        session.execute(update(MessageLog).where(MessageLog.id == hub_id).values(raw=altered))
    with session_factory() as session:
        detail = get_message_detail(session, str(hub_id), trust=trust, now=datetime.now(UTC))
    assert detail.verification is not None
    assert not detail.verification.valid
    assert detail.verification.outcome == "DigestMismatch"
    assert not detail.chain.consistent


def test_an_unknown_message_is_not_found(
    session_factory: sessionmaker[Session], trust: TrustMaterial
) -> None:
    with session_factory() as session, pytest.raises(NotFound):
        get_message_detail(session, "999999", trust=trust, now=datetime.now(UTC))
