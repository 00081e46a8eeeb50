"""Pydantic models of the HTTP API's answers (the OpenAPI at /docs is built from these)."""

from datetime import datetime

from pydantic import BaseModel


class DeliveryOut(BaseModel):
    delivery_id: int
    recipient: str
    mode: str
    status: str


class CaseConflictOut(BaseModel):
    """Why an accepted message was not applied to its case (e.g. ``case.action_unknown``)."""

    code: str
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
    delivery_id: int
    message_id: str
    message_type: str
    priority: str
    #: The hub-signed canonical XML, base64-encoded.
    envelope: str


class InboxOut(BaseModel):
    messages: list[InboxMessageOut]


class AckOut(BaseModel):
    delivery_id: int
    status: str


class HealthOut(BaseModel):
    status: str
    checks: dict[str, str] = {}
