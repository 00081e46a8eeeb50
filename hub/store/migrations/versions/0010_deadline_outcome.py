"""deadline outcome: met, withdrawn at closure or dropped; whether the rule counts hours

Closing a case used to stop its open deadlines by setting ``met_at``, so they read as met
(«Исполнено»), and so did a plan revision for the lines it removed. ``outcome`` now says
how a clock stopped: ``met`` by the answer, ``withdrawn`` when the case closed first,
``dropped`` with its line. Existing stopped rows are told apart exactly: the closure (or
the plan) stopped its clocks at the time the hub received it, its ``received_at``.
``in_hours`` records that a deadline's rule counts hours (``urgent_receipt: 24 hours``),
so its time is shown; every rule of the shipped regions that opens a case deadline counts
days, so existing rows get False.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_deadline", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("in_hours", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column(
                "outcome",
                sa.Enum(
                    "met",
                    "withdrawn",
                    "dropped",
                    name="deadlineoutcome",
                    native_enum=False,
                    length=16,
                ),
                nullable=True,
            )
        )
    op.execute(
        """
        UPDATE case_deadline SET outcome = 'withdrawn'
        WHERE met_at IS NOT NULL AND EXISTS (
            SELECT 1 FROM case_file JOIN message_log ON message_log.case_ref = case_file.case_ref
            WHERE case_file.id = case_deadline.case_id
              AND message_log.message_type = 'CaseClosure'
              AND message_log.received_at = case_deadline.met_at
        )
        """
    )
    op.execute(
        "UPDATE case_deadline SET outcome = 'met' WHERE met_at IS NOT NULL AND outcome IS NULL"
    )
    with op.batch_alter_table("case_deadline", schema=None) as batch_op:
        batch_op.alter_column("in_hours", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("case_deadline", schema=None) as batch_op:
        batch_op.drop_column("outcome")
        batch_op.drop_column("in_hours")
