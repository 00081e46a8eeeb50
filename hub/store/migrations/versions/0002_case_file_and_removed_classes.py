"""case file and removed classes

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import hub.store.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_file",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("case_ref", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=8), nullable=True),
        sa.Column("opened_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_file")),
        sa.UniqueConstraint("case_ref", name=op.f("uq_case_file_case_ref")),
    )
    with op.batch_alter_table("outbox_delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed_classes", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_delivery", schema=None) as batch_op:
        batch_op.drop_column("removed_classes")

    op.drop_table("case_file")
