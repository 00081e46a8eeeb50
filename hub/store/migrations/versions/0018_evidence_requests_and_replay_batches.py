"""evidence requests and replay batches: four eyes on unmasked evidence, stoppable replays

An auditor's request to export a message's original waits for a second auditor's
approval (``evidence_request``); a bulk replay runs in chunks under a ``replay_batch``
that can be stopped. Both tables are new, so existing rows need no backfill; accounts
keep their roles (the new roles are new values of ``person.role``, which is wide enough).

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

import hub.store.types

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = hub.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "evidence_request",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("message_log_id", _ID, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", _TIME, nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("approved_at", _TIME, nullable=True),
        sa.Column("expires_at", _TIME, nullable=True),
        sa.Column("downloaded_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["message_log_id"],
            ["message_log.id"],
            name=op.f("fk_evidence_request_message_log_id_message_log"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_request")),
    )
    op.create_index(
        op.f("ix_evidence_request_message_log_id"),
        "evidence_request",
        ["message_log_id"],
        unique=False,
    )
    op.create_table(
        "replay_batch",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_by", sa.String(length=64), nullable=False),
        sa.Column("started_at", _TIME, nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("partner", sa.String(length=32), nullable=True),
        sa.Column("message_type", sa.String(length=64), nullable=True),
        sa.Column("since", _TIME, nullable=True),
        sa.Column("last_id", _ID, nullable=False),
        sa.Column("cursor", _ID, nullable=False),
        sa.Column("replayed", sa.Integer(), nullable=False),
        sa.Column("stopped_by", sa.String(length=64), nullable=True),
        sa.Column("stopped_at", _TIME, nullable=True),
        sa.Column("finished_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replay_batch")),
    )


def downgrade() -> None:
    op.drop_table("replay_batch")
    op.drop_index(op.f("ix_evidence_request_message_log_id"), table_name="evidence_request")
    op.drop_table("evidence_request")
