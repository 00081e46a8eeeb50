"""Four eyes on the unmasked original: an evidence export needs two auditors.

The evidence zip is the only way a message's original — names, addresses — leaves the
hub, so no one exports it alone (Mirth #314, OpenHIM #190/#1222): an auditor requests it
for one message with a reason (``request_evidence``); a second auditor, never the
requester, approves (``approve_evidence``); then the package can be downloaded once,
before the approval expires (``download_evidence``). Each step refuses with an
``evidence.*`` code before writing anything, and writes one audit row in the caller's
transaction; the export's row names the requester and the approver. Who may take a step
(the auditor role) is checked by the routes; nothing here commits.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.admin import TrustMaterial, export_evidence, find_message
from hub.archive import ArchiveShelf
from hub.errors import NotFound, OperationRefused
from hub.operations import Actor, record_operation, required_reason
from hub.store import EvidenceRequest, MessageLog

__all__ = [
    "approve_evidence",
    "download_evidence",
    "list_evidence_requests",
    "request_evidence",
]

REQUESTED, APPROVED, DOWNLOADED = "requested", "approved", "downloaded"


def request_evidence(
    session: Session, message_ref: str, *, actor: Actor, reason: str, now: datetime
) -> EvidenceRequest:
    """Ask for the evidence zip of message ``message_ref`` (hub id or MessageId).

    Raises:
      OperationRefused: ``ops.reason_required``.
      NotFound: no such message.
    """
    why = required_reason(reason)
    message = find_message(session, message_ref)
    if message is None:
        raise NotFound("message", message_ref[:64])
    row = EvidenceRequest(
        message_log_id=message.id,
        status=REQUESTED,
        requested_by=actor.login[:64],
        requested_at=now,
        reason=why,
    )
    session.add(row)
    session.flush()
    _audit(session, actor, "evidence.request", row, message, why, now)
    return row


def approve_evidence(
    session: Session, request_id: int, *, actor: Actor, now: datetime, ttl_s: int
) -> EvidenceRequest:
    """Approve another auditor's request; its package can then be downloaded once within
    ``ttl_s`` seconds.

    Raises:
      OperationRefused: ``evidence.unknown_request``, ``evidence.self_approval``,
        ``evidence.not_pending``.
    """
    row = _request_for_update(session, request_id)
    if row.requested_by == actor.login:
        raise OperationRefused("evidence.self_approval", f"request {request_id}")
    if row.status != REQUESTED:
        raise OperationRefused("evidence.not_pending", f"request {request_id} is {row.status}")
    row.status = APPROVED
    row.approved_by = actor.login[:64]
    row.approved_at = now
    row.expires_at = now + timedelta(seconds=ttl_s)
    session.flush()
    message = session.get_one(MessageLog, row.message_log_id)
    _audit(session, actor, "evidence.approve", row, message, None, now)
    return row


def download_evidence(
    session: Session,
    trust: TrustMaterial,
    request_id: int,
    *,
    actor: Actor,
    now: datetime,
    channel: str,
    requester_only: bool = True,
    shelf: ArchiveShelf | None = None,
) -> tuple[EvidenceRequest, bytes]:
    """The approved request's evidence zip, once; audited as ``evidence.export`` naming the
    requester and the approver.

    ``requester_only=False`` lets the CLI (a shell user on the hub's machine, who could read
    the database anyway) fetch an approved package for its requester; the approval and
    the single download still hold.

    Raises:
      OperationRefused: ``evidence.unknown_request``, ``evidence.not_requester``,
        ``evidence.not_approved``, ``evidence.already_downloaded``, ``evidence.expired``.
      BodyArchived: the message's archive cannot be read from ``shelf`` (the request stays
        approved: nothing is marked downloaded).
    """
    row = _request_for_update(session, request_id)
    if requester_only and row.requested_by != actor.login:
        raise OperationRefused("evidence.not_requester", f"request {request_id}")
    if row.status == DOWNLOADED:
        raise OperationRefused("evidence.already_downloaded", f"request {request_id}")
    if row.status != APPROVED or row.expires_at is None:
        raise OperationRefused("evidence.not_approved", f"request {request_id}")
    if now >= row.expires_at:
        raise OperationRefused("evidence.expired", f"request {request_id}")
    message = session.get_one(MessageLog, row.message_log_id)
    data = export_evidence(session, trust, str(message.id), now=now, shelf=shelf)
    row.status = DOWNLOADED
    row.downloaded_at = now
    session.flush()
    _audit(session, actor, "evidence.export", row, message, row.reason, now, f"channel={channel}")
    return row, data


def list_evidence_requests(session: Session, *, limit: int = 100) -> Sequence[EvidenceRequest]:
    """The latest requests, newest first."""
    query = select(EvidenceRequest).order_by(EvidenceRequest.id.desc()).limit(limit)
    return session.scalars(query).all()


def _request_for_update(session: Session, request_id: int) -> EvidenceRequest:
    row = session.get(EvidenceRequest, request_id, with_for_update=True)
    if row is None:
        raise OperationRefused("evidence.unknown_request", f"request {request_id} not found")
    return row


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    row: EvidenceRequest,
    message: MessageLog,
    reason: str | None,
    now: datetime,
    extra: str = "",
) -> None:
    names = f"requested_by={row.requested_by}"
    if row.approved_by is not None:
        names += f" approved_by={row.approved_by}"
    detail = f"{extra} request={row.id} hub_id={message.id} {names}".strip()
    record_operation(session, actor, action, detail, reason, now, case_ref=message.case_ref)
