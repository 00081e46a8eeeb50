"""partner certificates: which certificates each partner may sign with (rotation, revocation)

Partners registered before this revision get no rows: they stay bound by the CA and the
certificate's system code alone until their first certificate rotation registers one.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

import hub.store.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partner_certificate",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "partner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("fingerprint_sha256", sa.String(length=64), nullable=False),
        sa.Column("serial_hex", sa.String(length=40), nullable=False),
        sa.Column("not_after", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_partner_certificate_partner_id_partner")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_certificate")),
        sa.UniqueConstraint(
            "fingerprint_sha256", name=op.f("uq_partner_certificate_fingerprint_sha256")
        ),
    )
    with op.batch_alter_table("partner_certificate", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_certificate_partner_id"), ["partner_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("partner_certificate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_certificate_partner_id"))
    op.drop_table("partner_certificate")
