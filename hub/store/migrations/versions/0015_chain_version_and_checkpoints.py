"""chain version and checkpoints: links that cover every column, and signed chain heads

``message_log.chain_version`` says how a row's link was made. Rows already in the log
get 1 (the link covers the bytes' hash only) and keep their links: recomputing them
would launder any edit made before this upgrade. Rows written after it get 2 (the
link covers every column that matters). ``chain_checkpoint`` holds the hub-signed
statements of the chain head (length, head hash, time).

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

import hub.store.types

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # A server default fills existing rows without rebuilding the table on SQLite, which
    # the outbox's foreign keys would forbid (see MessageLog.__table_args__).
    op.add_column(
        "message_log",
        sa.Column("chain_version", sa.Integer(), server_default=sa.text("1"), nullable=False),
    )
    op.create_table(
        "chain_checkpoint",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("length", _ID, nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("slot", _ID, nullable=True),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_checkpoint")),
        sa.UniqueConstraint("slot", name=op.f("uq_chain_checkpoint_slot")),
    )
    op.create_index(
        op.f("ix_chain_checkpoint_length"), "chain_checkpoint", ["length"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_chain_checkpoint_length"), table_name="chain_checkpoint")
    op.drop_table("chain_checkpoint")
    with op.batch_alter_table("message_log", schema=None) as batch_op:
        batch_op.drop_column("chain_version")
