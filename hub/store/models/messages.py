"""Message tables: partners, the message log, rejections, and the delivery outbox.

The message log is append-only and hash-chained; the outbox holds one row per
(message, recipient) and is the source of truth for delivery — the broker only
carries "deliver outbox row N".
"""

import enum
from datetime import datetime

from sqlalchemy import (
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.store.base import Base
from hub.store.types import BigId, intpk, sha256_hex, system_code


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # committed, waiting for a worker (push) or a poll (pull)
    IN_FLIGHT = "in_flight"  # claimed under a lease by a worker or a pulling partner
    RETRYING = "retrying"  # last attempt failed; next one due at next_attempt_at
    DELIVERED = "delivered"
    DEAD = "dead"  # retries exhausted or refused by the partner; replayable
    CANCELLED = "cancelled"


class DeliveryMode(enum.StrEnum):
    PUSH = "push"  # the hub's worker calls the partner's transport
    PULL = "pull"  # the partner polls its inbox and acknowledges


def _enum_column(enum_type: type[enum.StrEnum]) -> Enum:
    return Enum(
        enum_type,
        native_enum=False,
        length=16,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Partner(Base):
    """A partner system registered with the hub: how to reach it and how it authenticates."""

    __tablename__ = "partner"

    id: Mapped[intpk]
    code: Mapped[system_code] = mapped_column(unique=True)
    organisation: Mapped[str] = mapped_column(String(300))
    adapter: Mapped[system_code]
    delivery_mode: Mapped[DeliveryMode] = mapped_column(_enum_column(DeliveryMode))
    endpoint: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    #: An administrator stopped deliveries to it (they wait in the outbox, none are lost).
    paused: Mapped[bool] = mapped_column(default=False, server_default=false())
    paused_reason: Mapped[str | None] = mapped_column(String(500))

    def __repr__(self) -> str:
        return f"Partner(code={self.code!r}, mode={self.delivery_mode.value})"


class PartnerApiKey(Base):
    """One API key of a partner: the public key id finds it, the secret is stored hashed.

    A rotation issues a new key and lets the old one work until ``expires_at`` (the
    overlap), so a partner can switch without an outage; ``revoked_at`` ends it at once.
    """

    __tablename__ = "partner_api_key"

    id: Mapped[intpk]
    partner_id: Mapped[int] = mapped_column(BigId, ForeignKey("partner.id"), index=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    #: argon2id in PHC format; keys issued before it are "sha256$<hex>" until rotated.
    key_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class PartnerCertificate(Base):
    """A certificate a partner may sign its messages with, by its SHA-256 fingerprint.

    A rotation registers a new one and gives the old one ``valid_until`` (the overlap);
    ``revoked_at`` ends it at once (the CA's CRL says the same to every verifier). A
    partner with no rows (registered before migration 0006) is bound by its CA alone.
    """

    __tablename__ = "partner_certificate"

    id: Mapped[intpk]
    partner_id: Mapped[int] = mapped_column(BigId, ForeignKey("partner.id"), index=True)
    fingerprint_sha256: Mapped[sha256_hex] = mapped_column(unique=True)
    #: The certificate's serial number in lowercase hex (up to 160 bits, too wide for BIGINT).
    serial_hex: Mapped[str] = mapped_column(String(40))
    not_after: Mapped[datetime]
    created_at: Mapped[datetime]
    #: End of the overlap after a rotation; None while it is the partner's current one.
    valid_until: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"PartnerCertificate(partner_id={self.partner_id}, serial={self.serial_hex})"


class PartnerCircuit(Base):
    """The circuit breaker of one partner: closed (deliver), open (wait), half_open (probe).

    Opened after consecutive failures so a failing partner is not hammered; deliveries
    wait in the outbox until a probe succeeds and closes it.
    """

    __tablename__ = "partner_circuit"

    partner_code: Mapped[system_code] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="closed")
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    opened_at: Mapped[datetime | None]
    #: When an open circuit lets one probe delivery through.
    probe_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(1000))
    #: Transitions counted for ``hub_circuit_transitions_total``: closed → open…
    opened_total: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    #: …and open or half-open → closed.
    closed_total: Mapped[int] = mapped_column(default=0, server_default=text("0"))


class WorkerHeartbeat(Base):
    """A delivery worker that is alive: it refreshes ``seen_at``; readiness reads it."""

    __tablename__ = "worker_heartbeat"

    worker_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime]
    seen_at: Mapped[datetime]


class ChainHead(Base):
    """One row holding the last link of the message-log hash chain.

    Ingest locks it (SELECT … FOR UPDATE) so concurrent writers extend the chain
    one at a time, in commit order.
    """

    __tablename__ = "chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_hash: Mapped[sha256_hex]
    length: Mapped[int] = mapped_column(BigId)


class MessageLog(Base):
    """An accepted message: the original signed bytes, as received, and its chain link."""

    __tablename__ = "message_log"
    __table_args__ = (
        # Implied by the unique MessageId since migration 0008; kept because dropping it
        # would rebuild the log table on SQLite, which the outbox's foreign keys forbid.
        UniqueConstraint("sender", "message_id"),
        # A MessageId is global: receivers de-duplicate by it alone (ARCHITECTURE, README).
        Index("uq_message_log_message_id", "message_id", unique=True),
    )

    id: Mapped[intpk]
    message_id: Mapped[str] = mapped_column(String(36))
    sender: Mapped[system_code]
    message_type: Mapped[str] = mapped_column(String(64))
    schema_version: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(8))
    case_ref: Mapped[str | None] = mapped_column(String(64))
    correlation_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime]
    received_at: Mapped[datetime]
    #: The original bytes; empty (b"") once ``hub archive`` moved them to ``archive_name``.
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[sha256_hex]
    prev_hash: Mapped[sha256_hex]
    chain_hash: Mapped[sha256_hex]
    signer_fingerprint: Mapped[sha256_hex]
    #: How ``chain_hash`` was made: 1 covers the bytes' hash only (rows before migration
    #: 0015, never recomputed), 2 every column of ``hub.ingest.chain.LINK_COLUMNS``.
    chain_version: Mapped[int] = mapped_column(server_default=text("1"))
    #: The archive file holding this message's body and its copies' payloads, and when it
    #: was written; None while the bodies are here.
    archive_name: Mapped[str | None] = mapped_column(String(200))
    archived_at: Mapped[datetime | None]

    deliveries: Mapped[list["OutboxDelivery"]] = relationship(
        back_populates="message", order_by="OutboxDelivery.id"
    )

    def __repr__(self) -> str:
        return f"MessageLog(id={self.id}, type={self.message_type}, sender={self.sender})"


class ChainCheckpoint(Base):
    """A signed statement of the chain head: the log had ``length`` links ending in
    ``head_hash`` at ``created_at``. ``document`` is the hub-signed XML (also written under
    the data folder), so rewriting the log up to that length is caught against it."""

    __tablename__ = "chain_checkpoint"

    id: Mapped[intpk]
    length: Mapped[int] = mapped_column(BigId, index=True)
    head_hash: Mapped[sha256_hex]
    created_at: Mapped[datetime]
    #: The interval a periodic checkpoint was made for; unique, so two workers make one.
    #: None for one asked for by hand (``hub verify-log --checkpoint``).
    slot: Mapped[int | None] = mapped_column(BigId, unique=True)
    document: Mapped[bytes] = mapped_column(LargeBinary)


class HubNotice(Base):
    """A notice the hub sent on its own (an overdue notice), under the key of what it is about.

    Written in the transaction that logs the notice: the unique key, not the notice's
    MessageId (random, so that no partner can take it first), makes two workers or a
    restart send each notice once.
    """

    __tablename__ = "hub_notice"

    id: Mapped[intpk]
    notice_key: Mapped[str] = mapped_column(String(200), unique=True)
    message_log_id: Mapped[int] = mapped_column(BigId, ForeignKey("message_log.id"))


class Rejection(Base):
    """A refused message: its reason code and safe facts only, never the payload."""

    __tablename__ = "rejection"

    id: Mapped[intpk]
    received_at: Mapped[datetime] = mapped_column(index=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[int]
    #: Machine-made text (paths, XSD reasons, ids); never element values.
    detail: Mapped[str] = mapped_column(String(1000))
    authenticated_partner: Mapped[str | None] = mapped_column(String(32))
    claimed_sender: Mapped[str | None] = mapped_column(String(32))
    claimed_message_id: Mapped[str | None] = mapped_column(String(36))
    size_bytes: Mapped[int]
    sha256: Mapped[sha256_hex]


class OutboxDelivery(Base):
    """One message to one recipient: the hub-signed outbound copy and its delivery state."""

    __tablename__ = "outbox_delivery"
    __table_args__ = (
        UniqueConstraint("message_log_id", "recipient"),
        Index("ix_outbox_delivery_status_due", "status", "next_attempt_at"),
        Index("ix_outbox_delivery_recipient_status", "recipient", "status"),
    )

    id: Mapped[intpk]
    message_log_id: Mapped[int] = mapped_column(BigId, ForeignKey("message_log.id"))
    recipient: Mapped[system_code]
    mode: Mapped[DeliveryMode] = mapped_column(_enum_column(DeliveryMode))
    priority: Mapped[str] = mapped_column(String(8))
    status: Mapped[DeliveryStatus] = mapped_column(_enum_column(DeliveryStatus))
    #: The outbound copy, re-signed by the hub's key; empty once its message is archived.
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    #: A claim (worker or pulling partner) holds the row until then.
    lease_until: Mapped[datetime | None]
    #: When a waiting row is due (a retry's backoff, a replay); unset: due since written.
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    remote_reference: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(String(1000))
    #: Sensitivity classes removed from this recipient's copy (comma-separated), if any.
    removed_classes: Mapped[str | None] = mapped_column(String(64))
    #: Why an administrator cancelled it (status cancelled), and who.
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    #: When the deadline job found it past its time to deliver (and told its sender, unless
    #: the rules exempt the sender); the row keeps its status and may still be delivered.
    late_at: Mapped[datetime | None]

    message: Mapped[MessageLog] = relationship(back_populates="deliveries")
    attempt_log: Mapped[list["DeliveryAttempt"]] = relationship(
        back_populates="delivery", order_by="DeliveryAttempt.id"
    )

    def __repr__(self) -> str:
        return f"OutboxDelivery(id={self.id}, to={self.recipient}, status={self.status.value})"


class DeliveryAttempt(Base):
    """One try at delivering an outbox row, with its outcome: the administrator's trail."""

    __tablename__ = "delivery_attempt"

    id: Mapped[intpk]
    delivery_id: Mapped[int] = mapped_column(BigId, ForeignKey("outbox_delivery.id"), index=True)
    number: Mapped[int]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(16))  # delivered | retry | rejected | dead
    error: Mapped[str | None] = mapped_column(Text)

    delivery: Mapped[OutboxDelivery] = relationship(back_populates="attempt_log")
