"""outbox without broker bookkeeping: the broker wakes a partner's lane, not a row

A worker now claims a batch of a partner's due rows when a broker message wakes
that partner's lane, so no row is ever "in" a broker message: when a row was last
handed to the broker (``enqueued_at``) and how often the sweeper re-sent it
(``resends``) mean nothing any more. The sweeper finds lanes to wake from the rows'
own state (``hub.store.find_stuck_push_lanes``).

Downgrade restores both columns empty (``resends`` 0): the old sweeper then treats
the open rows as never sent and sends each once.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

import hub.store.types

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_delivery", schema=None) as batch_op:
        batch_op.drop_column("resends")
        batch_op.drop_column("enqueued_at")


def downgrade() -> None:
    with op.batch_alter_table("outbox_delivery", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("enqueued_at", hub.store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("resends", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
