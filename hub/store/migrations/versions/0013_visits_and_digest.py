"""visits and digest: curators' home visits, people's e-mail and the daily summary sent

Visits are the curators' own records, not messages: keyed by case reference, so a
``hub cases rebuild`` keeps them. A person may give an e-mail address and opt in to the
daily «требует внимания» summary; ``digest_sent`` records each one claimed, per person
and local day, so a restart or a second worker never sends it twice.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

import hub.store.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "case_visit",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("case_ref", sa.String(length=64), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_visit")),
    )
    op.create_index(op.f("ix_case_visit_case_ref"), "case_visit", ["case_ref"], unique=False)
    op.create_table(
        "digest_sent",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("person_id", _ID, nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("sent_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_digest_sent_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_sent")),
        sa.UniqueConstraint(
            "person_id", "local_day", name=op.f("uq_digest_sent_person_id_local_day")
        ),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.add_column(
            sa.Column("digest_opt_in", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("digest_opt_in")
        batch_op.drop_column("email")
    op.drop_table("digest_sent")
    op.drop_index(op.f("ix_case_visit_case_ref"), table_name="case_visit")
    op.drop_table("case_visit")
