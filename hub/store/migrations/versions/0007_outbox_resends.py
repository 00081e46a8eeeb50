"""outbox resends: how often the sweeper has re-sent a row since a worker last took it

The sweeper waits twice as long before each further re-send of the same row, so a
backlog that is merely slow to drain is not sent round again and again.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_delivery", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("resends", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_delivery", schema=None) as batch_op:
        batch_op.drop_column("resends")
