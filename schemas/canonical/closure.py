"""Closure stage: ``CaseClosure`` (снятие с учёта), then the technical ``DeliveryReceipt``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from schemas.canonical.common import (
    SCHEMA_VERSION,
    DecisionBody,
    Period,
    Reader,
    add,
    add_decision_body,
    add_moment,
    add_optional,
    add_period,
    new_payload,
    read_optional_decision_body,
    read_optional_period,
)

__all__ = ["NOT_DELIVERED", "NOT_DELIVERED_VERSION", "CaseClosure", "DeliveryReceipt"]

#: The hub's own Outcome: the message had not reached the recipient within its time.
NOT_DELIVERED = "not_delivered"
#: DeliveryReceipt 1.1 adds the ``not_delivered`` Outcome.
NOT_DELIVERED_VERSION = "1.1"


@dataclass(frozen=True)
class CaseClosure:
    """Снятие с учёта: the case ends, with a reason and an optional post-support period."""

    closed_at: datetime
    # goals_achieved | moved_away | came_of_age | early_termination | refusal
    reason: str
    decision_body: DecisionBody | None = None
    post_support: Period | None = None
    comment: str | None = None


@dataclass(frozen=True)
class DeliveryReceipt:
    """A technical receipt that a message reached (or was refused by) one recipient."""

    delivered_message_id: str
    recipient: str
    outcome: str  # delivered | rejected | not_delivered (1.1, the hub's own)
    at: datetime
    remote_reference: str | None = None
    reason: str | None = None


def delivery_receipt_version(receipt: DeliveryReceipt) -> str:
    """The oldest version carrying ``receipt``: 1.1 only for ``not_delivered``."""
    return NOT_DELIVERED_VERSION if receipt.outcome == NOT_DELIVERED else SCHEMA_VERSION


def write_case_closure(closure: CaseClosure) -> etree._Element:
    root, ns = new_payload("CaseClosure")
    add_moment(root, ns, "ClosedAt", closure.closed_at)
    add(root, ns, "Reason", closure.reason)
    if closure.decision_body is not None:
        add_decision_body(root, ns, "DecisionBody", closure.decision_body)
    if closure.post_support is not None:
        add_period(root, ns, "PostSupport", closure.post_support)
    add_optional(root, ns, "Comment", closure.comment)
    return root


def write_delivery_receipt(receipt: DeliveryReceipt) -> etree._Element:
    root, ns = new_payload("DeliveryReceipt")
    add(root, ns, "DeliveredMessageId", receipt.delivered_message_id)
    add(root, ns, "Recipient", receipt.recipient)
    add(root, ns, "Outcome", receipt.outcome)
    add_moment(root, ns, "At", receipt.at)
    add_optional(root, ns, "RemoteReference", receipt.remote_reference)
    add_optional(root, ns, "Reason", receipt.reason)
    return root


def read_case_closure(root: Reader) -> CaseClosure:
    return CaseClosure(
        closed_at=root.moment("ClosedAt"),
        reason=root.text("Reason"),
        decision_body=read_optional_decision_body(root.optional("DecisionBody")),
        post_support=read_optional_period(root.optional("PostSupport")),
        comment=root.optional_text("Comment"),
    )


def read_delivery_receipt(root: Reader) -> DeliveryReceipt:
    return DeliveryReceipt(
        delivered_message_id=root.text("DeliveredMessageId"),
        recipient=root.text("Recipient"),
        outcome=root.text("Outcome"),
        at=root.moment("At"),
        remote_reference=root.optional_token("RemoteReference"),
        reason=root.optional_token("Reason"),
    )
