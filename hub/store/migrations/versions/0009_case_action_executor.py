"""case action executor: the partner an action is routed to, beside its agency

A plan's action may name an organisation registered under an agency (a school, a
hospital: ``hub partners add edu-school-12 --agency education``) instead of the agency
itself. ``responsible_agency`` now always holds the agency (officers' need-to-know and the
statistics go by agency) and ``executor`` the partner the action goes to, which owes its
statuses and reports. Before this migration every executor was an agency's own partner,
so it equals the agency.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_action", schema=None) as batch_op:
        batch_op.add_column(sa.Column("executor", sa.String(length=32), nullable=True))
    op.execute("UPDATE case_action SET executor = responsible_agency")
    with op.batch_alter_table("case_action", schema=None) as batch_op:
        batch_op.alter_column("executor", existing_type=sa.String(length=32), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("case_action", schema=None) as batch_op:
        batch_op.drop_column("executor")
