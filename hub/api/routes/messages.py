"""Partners post signed messages here and follow what became of them."""

from fastapi import APIRouter, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hub.access import PARTNER_SECURITY, PartnerCodeDep, get_partner_code, runtime_of
from hub.api.answers import (
    AttemptOut,
    CaseConflictOut,
    DeliveryOut,
    DeliveryTraceOut,
    MessageTraceOut,
    ReceiptOut,
)
from hub.api.bodies import RefusalBeforeBody, declared_length, read_limited
from hub.api.deps import SessionDep
from hub.api.plain import PlainRoute
from hub.api.problems import rejection_response
from hub.errors import NotFound, Rejection
from hub.ingest import IngestReceipt
from hub.runtime import HubRuntime
from hub.store import MessageLog, OutboxDelivery

router = APIRouter(prefix="/api/v1/messages", tags=["messages"], dependencies=[PARTNER_SECURITY])

#: The body is read as a stream (to stop at the size limit), so describe it by hand.
_XML_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "description": "A signed canonical envelope (XML-DSig, enveloped, exc-c14n).",
        "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}},
    }
}


async def post_message(request: Request) -> Response:
    """Accept one signed message; the answer says who it will be delivered to."""
    runtime = runtime_of(request)
    max_bytes = runtime.settings.max_message_bytes
    declared = declared_length(request)
    if declared is not None and declared > max_bytes:
        # Refused on the headers alone, before a byte of the body is read (and recorded).
        rejection = Rejection(
            "xml.too_large", f"Content-Length {declared} exceeds the limit of {max_bytes} bytes"
        )
        await run_in_threadpool(runtime.ingestor.refuse, b"", rejection, size_bytes=declared)
        return RefusalBeforeBody(
            rejection_response(rejection), drain=not _expects_continue(request)
        )
    raw, whole = await read_limited(request, max_bytes)
    try:
        # The one hop to a thread: ingest is milliseconds of parsing, signature checks,
        # signing and database waits, which on the event loop would stall every other
        # connection (health probes, bodies still arriving). The key check and the rate
        # limit (a Redis round trip) ride in the same hop rather than block the loop.
        receipt = await run_in_threadpool(_authenticate_and_ingest, runtime, request, raw)
    except Rejection as rejection:
        if whole:
            raise
        return RefusalBeforeBody(rejection_response(rejection), drain=True)
    # The bytes FastAPI would send for ``response_model=ReceiptOut``.
    return Response(
        _receipt_out(receipt).model_dump_json(),
        status_code=status.HTTP_202_ACCEPTED,
        media_type="application/json",
    )


# FastAPI documents the route from this declaration; ``PlainRoute`` serves it with
# ``post_message`` alone (every partner message takes it: no dependencies to solve).
router.add_api_route(
    "",
    post_message,
    methods=["POST"],
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ReceiptOut,
    openapi_extra=_XML_REQUEST_BODY,
    route_class_override=PlainRoute,
)


def _expects_continue(request: Request) -> bool:
    """A client waiting for ``100 Continue`` has not sent its body, and will not."""
    return request.headers.get("expect", "").lower() == "100-continue"


def _authenticate_and_ingest(runtime: HubRuntime, request: Request, raw: bytes) -> IngestReceipt:
    try:
        partner = get_partner_code(request, runtime)
        runtime.rate_limit.check(partner, now=runtime.clock().timestamp())
    except Rejection as rejection:
        runtime.ingestor.refuse(raw, rejection)
        raise
    return runtime.ingestor.ingest(raw, authenticated=partner)


def _receipt_out(receipt: IngestReceipt) -> ReceiptOut:
    return ReceiptOut(
        hub_id=receipt.hub_id,
        message_id=receipt.message_id,
        message_type=receipt.message_type,
        priority=receipt.priority,
        received_at=receipt.received_at,
        deliveries=[
            DeliveryOut(
                delivery_id=d.delivery_id, recipient=d.recipient, mode=d.mode, status=d.status
            )
            for d in receipt.deliveries
        ],
        case_conflicts=[
            CaseConflictOut(code=c.code, detail=c.detail) for c in receipt.case_conflicts
        ],
    )


@router.get("/{ref}", response_model=MessageTraceOut)
def get_message_trace(ref: str, partner: PartnerCodeDep, session: SessionDep) -> MessageTraceOut:
    """The trace of one of the caller's own messages, by hub id or MessageId."""
    query = (
        select(MessageLog)
        .where(MessageLog.sender == partner)
        .options(selectinload(MessageLog.deliveries).selectinload(OutboxDelivery.attempt_log))
    )
    query = (
        query.where(MessageLog.id == int(ref))
        if ref.isdigit()
        else query.where(MessageLog.message_id == ref)
    )
    message = session.scalar(query)
    if message is None:
        raise NotFound("message", ref)
    return MessageTraceOut(
        hub_id=message.id,
        message_id=message.message_id,
        message_type=message.message_type,
        schema_version=message.schema_version,
        sender=message.sender,
        priority=message.priority,
        correlation_id=message.correlation_id,
        created_at=message.created_at,
        received_at=message.received_at,
        sha256=message.sha256,
        chain_hash=message.chain_hash,
        deliveries=[
            DeliveryTraceOut(
                delivery_id=d.id,
                recipient=d.recipient,
                mode=d.mode.value,
                status=d.status.value,
                attempts=d.attempts,
                created_at=d.created_at,
                next_attempt_at=d.next_attempt_at,
                delivered_at=d.delivered_at,
                remote_reference=d.remote_reference,
                last_error=d.last_error,
                attempt_log=[
                    AttemptOut(
                        number=a.number,
                        started_at=a.started_at,
                        finished_at=a.finished_at,
                        outcome=a.outcome,
                        error=a.error,
                    )
                    for a in d.attempt_log
                ],
            )
            for d in message.deliveries
        ],
    )
