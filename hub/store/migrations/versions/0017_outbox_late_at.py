"""outbox late_at: when a delivery passed its time to deliver (МЭДО's non-delivery notice)

The deadline job sets it on each outbox row not delivered within its message's time (the
routing rules' ``delivery_deadlines``) as it tells the sender; the row keeps its status.
Rows already undelivered for 72 hours (МЭДО's default) when this runs are marked late now
without a notice: their senders are not sent a burst of notices about old messages, and
the rows count as late deliveries still open, which they are.

Revision ID: 0017
Revises: 0016
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import hub.store.types

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

#: МЭДО's default time to deliver, which the backfill applies to rows older than it.
_DEFAULT_DEADLINE = timedelta(hours=72)
_UNDELIVERED = ("pending", "in_flight", "retrying", "dead")


def upgrade() -> None:
    with op.batch_alter_table("outbox_delivery", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("late_at", hub.store.types.UTCDateTime(timezone=True), nullable=True)
        )
    now = datetime.now(UTC)
    outbox = sa.table(
        "outbox_delivery",
        sa.column("status", sa.String()),
        sa.column("created_at", hub.store.types.UTCDateTime(timezone=True)),
        sa.column("late_at", hub.store.types.UTCDateTime(timezone=True)),
    )
    op.execute(
        outbox.update()
        .where(
            outbox.c.status.in_(_UNDELIVERED),
            outbox.c.created_at <= now - _DEFAULT_DEADLINE,
        )
        .values(late_at=now)
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox_delivery", schema=None) as batch_op:
        batch_op.drop_column("late_at")
