"""Pydantic models of the HTTP API's answers (the OpenAPI at /docs is built from these)."""

from datetime import datetime

from pydantic import BaseModel, Field


class DeliveryOut(BaseModel):
    delivery_id: int
    recipient: str
    mode: str
    status: str


class CaseConflictOut(BaseModel):
    """Why an accepted message was not applied to its case (e.g. ``case.action_unknown``)."""

    code: str = Field(
        description="`case.referral_unknown`, `case.consent_missing`, `case.plan_version_stale`, "
        "`case.action_unknown` or `case.closed` (see `x-hub-codes`)"
    )
    detail: str


class ReceiptOut(BaseModel):
    """The hub's receipt for an accepted message.

    ``case_conflicts`` is empty unless the message contradicted its case: it is then
    logged and delivered, but the case tracker did not apply it.
    """

    hub_id: int
    message_id: str
    message_type: str
    priority: str
    received_at: datetime
    deliveries: list[DeliveryOut]
    case_conflicts: list[CaseConflictOut] = []


class AttemptOut(BaseModel):
    number: int
    started_at: datetime
    finished_at: datetime
    outcome: str
    error: str | None


class DeliveryTraceOut(DeliveryOut):
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    remote_reference: str | None
    last_error: str | None
    attempt_log: list[AttemptOut]


class MessageTraceOut(BaseModel):
    """Everything the hub did with one message: stored, then each delivery and attempt."""

    hub_id: int
    message_id: str
    message_type: str
    schema_version: str
    sender: str
    priority: str
    correlation_id: str | None
    created_at: datetime
    received_at: datetime
    sha256: str
    chain_hash: str
    deliveries: list[DeliveryTraceOut]


class InboxMessageOut(BaseModel):
    """One message waiting for the caller, leased to it until acknowledged."""

    delivery_id: int = Field(
        description="Acknowledge with `POST /api/v1/inbox/{delivery_id}/ack`; the same item "
        "polled again after its lease keeps its id"
    )
    message_id: str = Field(description="The original sender's MessageId")
    message_type: str = Field(description="e.g. `ReferralReceipt`")
    priority: str = Field(description="`urgent` or `routine`; urgent items come first")
    envelope: str = Field(
        description="Base64 (RFC 4648, standard alphabet, padded) of the exact bytes of the "
        "canonical XML envelope as the hub re-signed it for the caller (only the "
        "sensitivity classes the caller may see). Decode, then verify the signature "
        "against the hub's CA (signer: system `hub`) before reading it; verify the bytes "
        "as they are, without re-serialising.",
        json_schema_extra={
            "format": "byte",
            "contentEncoding": "base64",
            "contentMediaType": "application/xml",
        },
    )


class InboxOut(BaseModel):
    """Up to ``limit`` items, urgent first, then oldest first; empty when nothing waits."""

    messages: list[InboxMessageOut]


class AckOut(BaseModel):
    """The item's state after the acknowledgement.

    Acknowledging is idempotent: a second ack of the same item answers 200 with the same
    body; a late ack (after the lease ran out) still counts. An id that is unknown, not a
    pull delivery, or addressed to another partner answers 404 ``request.not_found``
    (alike, so ids of others are not revealed).
    """

    delivery_id: int
    status: str = Field(
        description="`delivered`: the hub will not offer this item again",
        json_schema_extra={"enum": ["delivered"]},
    )


class HealthOut(BaseModel):
    status: str
    checks: dict[str, str] = {}
