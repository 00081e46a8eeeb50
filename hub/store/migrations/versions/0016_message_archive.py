"""message archive: which archive file holds a message's body, and since when

``hub archive`` moves old bodies (the original and its outbound copies) into signed archive
files and empties them in the log; the log keeps the metadata and the chain, and names the
file. Existing rows are not archived (both columns NULL), so nothing needs backfilling.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

import hub.store.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column is an ALTER TABLE ADD COLUMN on SQLite too: no table rebuild, which
    # the outbox's foreign keys to the log would forbid.
    with op.batch_alter_table("message_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archive_name", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("archived_at", hub.store.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("message_log", schema=None) as batch_op:
        batch_op.drop_column("archived_at")
        batch_op.drop_column("archive_name")
