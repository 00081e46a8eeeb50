"""Auditors' JSON API to unmasked evidence, under four eyes (``hub.evidence_requests``).

An auditor requests a message's evidence zip with a reason; another auditor approves;
the requester downloads the zip once, before the approval expires. Every step is audited
and refuses with an ``evidence.*`` problem; other roles get ``auth.role_forbidden``.
State-changing calls need ``Authorization: Bearer`` (the session cookie counts for GET
only), so the download is a POST.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from hub.access import (
    PERSON_SECURITY,
    SignedIn,
    evidence_zip_response,
    require_roles,
    runtime_of,
)
from hub.admin import TrustMaterial
from hub.cases import EVIDENCE_ROLES
from hub.evidence_requests import (
    approve_evidence,
    download_evidence,
    list_evidence_requests,
    request_evidence,
)
from hub.operations import Actor

router = APIRouter(
    prefix="/api/v1/evidence-requests", tags=["evidence"], dependencies=[PERSON_SECURITY]
)

AuditorDep = Annotated[SignedIn, require_roles(*EVIDENCE_ROLES)]


class EvidenceRequestIn(BaseModel):
    #: A MessageId, or the hub id of a message.
    message: str = Field(min_length=1, max_length=64)
    reason: str = Field(max_length=500)


class EvidenceRequestOut(BaseModel):
    """A request: ``requested`` → ``approved`` → ``downloaded``."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    message_log_id: int
    status: str
    requested_by: str
    requested_at: datetime
    reason: str
    approved_by: str | None
    approved_at: datetime | None
    expires_at: datetime | None
    downloaded_at: datetime | None


class EvidenceRequestListOut(BaseModel):
    requests: list[EvidenceRequestOut]


def _actor(signed_in: SignedIn) -> Actor:
    return Actor(login=signed_in.viewer.login, role=signed_in.viewer.role.value)


@router.post("", status_code=201, response_model=EvidenceRequestOut)
def post_request(
    body: EvidenceRequestIn, request: Request, signed_in: AuditorDep
) -> EvidenceRequestOut:
    """Request the evidence zip of one message. Refusals: ``ops.reason_required`` (422),
    ``request.not_found`` (404)."""
    runtime = runtime_of(request)
    with runtime.session_factory.begin() as session:
        row = request_evidence(
            session, body.message, actor=_actor(signed_in), reason=body.reason, now=runtime.clock()
        )
        return EvidenceRequestOut.model_validate(row)


@router.get("", response_model=EvidenceRequestListOut)
def get_requests(request: Request, signed_in: AuditorDep) -> EvidenceRequestListOut:
    """The latest requests, newest first."""
    runtime = runtime_of(request)
    with runtime.session_factory() as session:
        rows = list_evidence_requests(session)
        return EvidenceRequestListOut(requests=[EvidenceRequestOut.model_validate(r) for r in rows])


@router.post("/{request_id}/approval", response_model=EvidenceRequestOut)
def post_approval(request_id: int, request: Request, signed_in: AuditorDep) -> EvidenceRequestOut:
    """Approve another auditor's request. Refusals: ``evidence.self_approval`` (403),
    ``evidence.not_pending`` (409), ``evidence.unknown_request`` (404)."""
    runtime = runtime_of(request)
    with runtime.session_factory.begin() as session:
        row = approve_evidence(
            session,
            request_id,
            actor=_actor(signed_in),
            now=runtime.clock(),
            ttl_s=runtime.settings.evidence_approval_ttl_s,
        )
        return EvidenceRequestOut.model_validate(row)


@router.post(
    "/{request_id}/package",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "The evidence zip"}},
)
def post_package(request_id: int, request: Request, signed_in: AuditorDep) -> Response:
    """The approved request's evidence zip, once, to its requester. Refusals:
    ``evidence.not_requester`` (403), ``evidence.not_approved`` (409),
    ``evidence.already_downloaded`` (409), ``evidence.expired`` (410),
    ``evidence.body_archived`` (409: its archive cannot be read here; still approved)."""
    runtime = runtime_of(request)
    trust = TrustMaterial.from_settings(runtime.settings)
    with runtime.session_factory.begin() as session:
        row, data = download_evidence(
            session,
            trust,
            request_id,
            actor=_actor(signed_in),
            now=runtime.clock(),
            channel="api",
            shelf=runtime.archive_shelf,
        )
        hub_id = row.message_log_id
    return evidence_zip_response(data, hub_id)
