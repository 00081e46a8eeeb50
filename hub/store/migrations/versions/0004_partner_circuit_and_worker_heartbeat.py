"""partner circuit, pause, cancel reason, worker heartbeat

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import hub.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partner_circuit",
        sa.Column("partner_code", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("opened_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("probe_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("partner_code", name=op.f("pk_partner_circuit")),
    )
    op.create_table(
        "worker_heartbeat",
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_worker_heartbeat")),
    )
    with op.batch_alter_table("outbox_delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancel_reason", sa.String(length=500), nullable=True))

    with op.batch_alter_table("partner", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("paused", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("paused_reason", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("partner", schema=None) as batch_op:
        batch_op.drop_column("paused_reason")
        batch_op.drop_column("paused")

    with op.batch_alter_table("outbox_delivery", schema=None) as batch_op:
        batch_op.drop_column("cancel_reason")

    op.drop_table("worker_heartbeat")
    op.drop_table("partner_circuit")
