"""Pull delivery (SMEV-3 style): a partner polls its inbox and acknowledges each message.

A polled message is leased for the visibility timeout; unacknowledged, it is
offered again. Acknowledging twice is harmless.
"""

import base64
from typing import Annotated

from fastapi import APIRouter, Query

from hub.access import PARTNER_SECURITY, PartnerCodeDep, RuntimeDep
from hub.api.answers import AckOut, InboxMessageOut, InboxOut
from hub.api.deps import SessionDep
from hub.errors import NotFound
from hub.store import DeliveryNotFound, acknowledge, claim_inbox

router = APIRouter(prefix="/api/v1/inbox", tags=["inbox"], dependencies=[PARTNER_SECURITY])


@router.get("", response_model=InboxOut)
def poll_inbox(
    partner: PartnerCodeDep,
    runtime: RuntimeDep,
    session: SessionDep,
    limit: Annotated[
        int, Query(ge=1, le=100, description="How many items at most (1–100); outside: 422")
    ] = 20,
) -> InboxOut:
    """Messages waiting for the caller, urgent first, then oldest first; each is leased."""
    with session.begin():
        rows = claim_inbox(
            session,
            partner,
            now=runtime.clock(),
            visibility_s=runtime.settings.inbox_visibility_s,
            limit=limit,
        )
        messages = [
            InboxMessageOut(
                delivery_id=row.id,
                message_id=row.message.message_id,
                message_type=row.message.message_type,
                priority=row.priority,
                envelope=base64.b64encode(row.payload).decode("ascii"),
            )
            for row in rows
        ]
    return InboxOut(messages=messages)


@router.post("/{delivery_id}/ack", response_model=AckOut)
def ack(
    delivery_id: int, partner: PartnerCodeDep, runtime: RuntimeDep, session: SessionDep
) -> AckOut:
    """Confirm receipt of one inbox message (idempotent: a second ack answers the same)."""
    with session.begin():
        try:
            row = acknowledge(session, partner, delivery_id, now=runtime.clock())
        except DeliveryNotFound as exc:
            raise NotFound("delivery", delivery_id) from exc
        return AckOut(delivery_id=row.id, status=row.status.value)
