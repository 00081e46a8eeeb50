"""consent records: each family's ConsentRecord as it stands, per case and ConsentId

Ingest checks a message's ConsentRef against these rows (the same family, given, not
expired) and narrows what later copies carry by the scopes in force. A projection of the
log like the other case tables: ``hub cases rebuild`` fills it from the ConsentRecords
already logged.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

import hub.store.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_consent",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "message_log_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("consent_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("scopes", sa.String(length=64), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("recorded_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_case_consent_case_id_case_file")
        ),
        sa.ForeignKeyConstraint(
            ["message_log_id"],
            ["message_log.id"],
            name=op.f("fk_case_consent_message_log_id_message_log"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_consent")),
        sa.UniqueConstraint(
            "case_id", "consent_id", name=op.f("uq_case_consent_case_id_consent_id")
        ),
    )
    with op.batch_alter_table("case_consent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_consent_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_case_consent_consent_id"), ["consent_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("case_consent")
