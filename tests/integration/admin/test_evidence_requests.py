"""Four eyes on the unmasked original, on a real database: every way round the rule is refused.

Given an accepted message, an auditor's request needs a reason; the requester cannot approve
it; nothing is exported before a second auditor approves; only the requester downloads, once,
before the approval expires; and the audit names the requester and the approver.
"""

import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.admin import TrustMaterial
from hub.errors import NotFound, OperationRefused
from hub.evidence_requests import approve_evidence, download_evidence, request_evidence
from hub.ingest import Ingestor, IngestReceipt
from hub.operations import Actor
from hub.store import AuditEntry, EvidenceRequest, MessageLog
from signing import DevPki, VerifyPolicy
from tests.factories import Signers, make_envelope

REQUESTER = Actor(login="auditor", role="auditor")
APPROVER = Actor(login="auditor2", role="auditor")
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def accepted(ingestor: Ingestor, signers: Signers) -> IngestReceipt:
    return ingestor.ingest(signers.sign(make_envelope(sender="police")), authenticated="police")


@pytest.fixture
def trust(pki: DevPki) -> TrustMaterial:
    return TrustMaterial.load(pki.root, VerifyPolicy())


def _refused(session_factory: sessionmaker[Session], step: object) -> str:
    """Run ``step(session)`` in a transaction that would commit; the refusal's code."""
    with pytest.raises(OperationRefused) as refused, session_factory.begin() as session:
        step(session)  # type: ignore[operator]
    return refused.value.code


def _request(session_factory: sessionmaker[Session], receipt: IngestReceipt) -> int:
    with session_factory.begin() as session:
        return request_evidence(
            session, receipt.message_id, actor=REQUESTER, reason="запрос суда", now=T0
        ).id


def _approve(session_factory: sessionmaker[Session], request_id: int) -> None:
    with session_factory.begin() as session:
        approve_evidence(session, request_id, actor=APPROVER, now=T0, ttl_s=3600)


def _download(
    trust: TrustMaterial, request_id: int, actor: Actor = REQUESTER, *, at: datetime = T0
) -> object:
    return lambda session: download_evidence(
        session, trust, request_id, actor=actor, now=at, channel="web"
    )


def test_a_request_needs_a_reason_and_an_existing_message(
    session_factory: sessionmaker[Session], accepted: IngestReceipt
) -> None:
    blank = _refused(
        session_factory,
        lambda s: request_evidence(s, accepted.message_id, actor=REQUESTER, reason=" ", now=T0),
    )
    assert blank == "ops.reason_required"
    with pytest.raises(NotFound), session_factory.begin() as session:
        request_evidence(session, "987654", actor=REQUESTER, reason="x", now=T0)
    with session_factory() as session:
        assert session.scalars(select(EvidenceRequest)).all() == []


def test_the_requester_cannot_approve_their_own_request(
    session_factory: sessionmaker[Session], accepted: IngestReceipt, trust: TrustMaterial
) -> None:
    request_id = _request(session_factory, accepted)

    code = _refused(
        session_factory,
        lambda s: approve_evidence(s, request_id, actor=REQUESTER, now=T0, ttl_s=3600),
    )

    assert code == "evidence.self_approval"
    assert _refused(session_factory, _download(trust, request_id)) == "evidence.not_approved"
    with session_factory() as session:
        assert session.get_one(EvidenceRequest, request_id).status == "requested"


def test_only_the_requester_downloads_once_and_the_audit_names_both(
    session_factory: sessionmaker[Session], accepted: IngestReceipt, trust: TrustMaterial
) -> None:
    request_id = _request(session_factory, accepted)
    _approve(session_factory, request_id)
    reapproval = _refused(
        session_factory,
        lambda s: approve_evidence(s, request_id, actor=APPROVER, now=T0, ttl_s=3600),
    )

    stranger = _refused(session_factory, _download(trust, request_id, APPROVER))
    with session_factory.begin() as session:
        row, data = download_evidence(
            session, trust, request_id, actor=REQUESTER, now=T0, channel="web"
        )
        original = session.get_one(MessageLog, accepted.hub_id).raw
    second = _refused(session_factory, _download(trust, request_id))

    assert (reapproval, stranger, second) == (
        "evidence.not_pending",
        "evidence.not_requester",
        "evidence.already_downloaded",
    )
    assert row.status == "downloaded"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("message.xml") == original
    with session_factory() as session:
        audit = session.execute(
            select(AuditEntry.login, AuditEntry.action, AuditEntry.detail).order_by(AuditEntry.id)
        ).all()
    assert [(login, action) for login, action, _ in audit] == [
        ("auditor", "evidence.request"),
        ("auditor2", "evidence.approve"),
        ("auditor", "evidence.export"),
    ]
    assert "requested_by=auditor approved_by=auditor2" in (audit[-1][2] or "")


def test_an_approval_expires(
    session_factory: sessionmaker[Session], accepted: IngestReceipt, trust: TrustMaterial
) -> None:
    request_id = _request(session_factory, accepted)
    _approve(session_factory, request_id)

    late = _refused(session_factory, _download(trust, request_id, at=T0 + timedelta(hours=1)))
    unknown = _refused(
        session_factory,
        lambda s: approve_evidence(s, 987654, actor=APPROVER, now=T0, ttl_s=3600),
    )

    assert (late, unknown) == ("evidence.expired", "evidence.unknown_request")
