"""initial schema

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

import hub.store.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("length", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_head")),
    )
    # The chain starts from an all-zero link; ingest locks and extends this one row.
    op.bulk_insert(
        sa.table(
            "chain_head",
            sa.column("id", sa.Integer),
            sa.column("last_hash", sa.String),
            sa.column("length", sa.BigInteger),
        ),
        [{"id": 1, "last_hash": "0" * 64, "length": 0}],
    )
    op.create_table(
        "message_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("sender", sa.String(length=32), nullable=False),
        sa.Column("message_type", sa.String(length=64), nullable=False),
        sa.Column("schema_version", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("case_ref", sa.String(length=64), nullable=True),
        sa.Column("correlation_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.Column("signer_fingerprint", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_log")),
        sa.UniqueConstraint("sender", "message_id", name=op.f("uq_message_log_sender_message_id")),
    )
    with op.batch_alter_table("message_log", schema=None) as batch_op:
        batch_op.create_index("ix_message_log_message_id", ["message_id"], unique=False)

    op.create_table(
        "partner",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("organisation", sa.String(length=300), nullable=False),
        sa.Column("adapter", sa.String(length=32), nullable=False),
        sa.Column(
            "delivery_mode",
            sa.Enum("push", "pull", name="deliverymode", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("endpoint", sa.String(length=500), nullable=True),
        sa.Column("api_key_id", sa.String(length=32), nullable=True),
        sa.Column("api_key_hash", sa.String(length=128), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner")),
        sa.UniqueConstraint("api_key_id", name=op.f("uq_partner_api_key_id")),
        sa.UniqueConstraint("code", name=op.f("uq_partner_code")),
    )
    op.create_table(
        "rejection",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("received_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("detail", sa.String(length=1000), nullable=False),
        sa.Column("authenticated_partner", sa.String(length=32), nullable=True),
        sa.Column("claimed_sender", sa.String(length=32), nullable=True),
        sa.Column("claimed_message_id", sa.String(length=36), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejection")),
    )
    with op.batch_alter_table("rejection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rejection_code"), ["code"], unique=False)
        batch_op.create_index(batch_op.f("ix_rejection_received_at"), ["received_at"], unique=False)

    op.create_table(
        "outbox_delivery",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "message_log_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column(
            "mode",
            sa.Enum("push", "pull", name="deliverymode", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "in_flight",
                "retrying",
                "delivered",
                "dead",
                "cancelled",
                name="deliverystatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("enqueued_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_until", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("remote_reference", sa.String(length=200), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_log_id"],
            ["message_log.id"],
            name=op.f("fk_outbox_delivery_message_log_id_message_log"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_delivery")),
        sa.UniqueConstraint(
            "message_log_id", "recipient", name=op.f("uq_outbox_delivery_message_log_id_recipient")
        ),
    )
    with op.batch_alter_table("outbox_delivery", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_delivery_recipient_status", ["recipient", "status"], unique=False
        )
        batch_op.create_index(
            "ix_outbox_delivery_status_due", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "delivery_attempt",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "delivery_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["outbox_delivery.id"],
            name=op.f("fk_delivery_attempt_delivery_id_outbox_delivery"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempt")),
    )
    with op.batch_alter_table("delivery_attempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_attempt_delivery_id"), ["delivery_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("delivery_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_attempt_delivery_id"))

    op.drop_table("delivery_attempt")
    with op.batch_alter_table("outbox_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_delivery_status_due")
        batch_op.drop_index("ix_outbox_delivery_recipient_status")

    op.drop_table("outbox_delivery")
    with op.batch_alter_table("rejection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rejection_received_at"))
        batch_op.drop_index(batch_op.f("ix_rejection_code"))

    op.drop_table("rejection")
    op.drop_table("partner")
    with op.batch_alter_table("message_log", schema=None) as batch_op:
        batch_op.drop_index("ix_message_log_message_id")

    op.drop_table("message_log")
    op.drop_table("chain_head")
