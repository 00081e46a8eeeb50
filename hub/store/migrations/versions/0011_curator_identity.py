"""curator identity: cases and accounts bound by the curator's staff id, not by name

A curator's cases were those whose curator name matched the account's name, so a second
account with the same name (up to spaces, case or ё) saw another curator's families. Now
the case owner's messages carry the curator's staff id (``Curator/StaffId``, version 1.1),
the case keeps it (``curator_staff_id``, with the one its messages last named and when, for
the supervisors' reassignments), and an account gets the same id (``person.staff_id``).
Supervisors' assignments are kept in ``case_curator_assignment``. An action line keeps
its specialist's position and phone beside the name.

Existing cases get no staff id: until the case owner names the curator again, or a
supervisor assigns one, only the region's supervisor sees them.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

import hub.store.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.add_column(sa.Column("curator_staff_id", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("named_curator_staff_id", sa.String(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column("curator_named_at", hub.store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_case_file_curator_staff_id"), ["curator_staff_id"], unique=False
        )
    with op.batch_alter_table("case_action", schema=None) as batch_op:
        batch_op.add_column(sa.Column("specialist_position", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("specialist_phone", sa.String(length=32), nullable=True))
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("staff_id", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_person_region_staff_id"), ["region", "staff_id"]
        )
    op.create_table(
        "case_curator_assignment",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("case_ref", sa.String(length=64), nullable=False),
        sa.Column("at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.String(length=64), nullable=False),
        sa.Column("from_staff_id", sa.String(length=64), nullable=True),
        sa.Column("from_name", sa.String(length=200), nullable=True),
        sa.Column("to_staff_id", sa.String(length=64), nullable=False),
        sa.Column("to_name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_curator_assignment")),
    )
    with op.batch_alter_table("case_curator_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_curator_assignment_case_ref"), ["case_ref"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("case_curator_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_curator_assignment_case_ref"))
    op.drop_table("case_curator_assignment")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_person_region_staff_id"), type_="unique")
        batch_op.drop_column("staff_id")
    with op.batch_alter_table("case_action", schema=None) as batch_op:
        batch_op.drop_column("specialist_phone")
        batch_op.drop_column("specialist_position")
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_file_curator_staff_id"))
        batch_op.drop_column("curator_named_at")
        batch_op.drop_column("curator_staff_id")
        batch_op.drop_column("named_curator_staff_id")
