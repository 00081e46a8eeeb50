"""alerts: incidents, their notifications, job claims, and counted circuit transitions

``alert_incident`` holds one row per rule firing about one subject (one open per rule
and subject, by a partial unique index); ``alert_notification`` the notices of each
incident's opening and resolution per channel, sent at most once; ``job_claim`` the
turn of a periodic job across workers. ``partner_circuit`` counts its transitions for
``hub_circuit_transitions_total``; existing rows start at zero (nothing was counted).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

import hub.store.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_OPEN = sa.text("resolved_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "alert_incident",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("detail", sa.String(length=1000), nullable=False),
        sa.Column("started_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("repeats", sa.Integer(), nullable=False),
        sa.Column("acked_by", sa.String(length=64), nullable=True),
        sa.Column("acked_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_incident")),
    )
    op.create_index(
        op.f("ix_alert_incident_started_at"), "alert_incident", ["started_at"], unique=False
    )
    op.create_index(
        "uq_alert_incident_open",
        "alert_incident",
        ["rule", "subject"],
        unique=True,
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )
    op.create_table(
        "alert_notification",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("incident_id", _ID, nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("created_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["alert_incident.id"],
            name=op.f("fk_alert_notification_incident_id_alert_incident"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_notification")),
        sa.UniqueConstraint(
            "incident_id",
            "event",
            "channel",
            name=op.f("uq_alert_notification_incident_id_event_channel"),
        ),
    )
    op.create_index(
        op.f("ix_alert_notification_sent_at"), "alert_notification", ["sent_at"], unique=False
    )
    op.create_table(
        "job_claim",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("claimed_until", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_claim")),
    )
    with op.batch_alter_table("partner_circuit", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("opened_total", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("closed_total", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("partner_circuit", schema=None) as batch_op:
        batch_op.drop_column("closed_total")
        batch_op.drop_column("opened_total")
    op.drop_table("job_claim")
    op.drop_index(op.f("ix_alert_notification_sent_at"), table_name="alert_notification")
    op.drop_table("alert_notification")
    op.drop_index("uq_alert_incident_open", table_name="alert_incident")
    op.drop_index(op.f("ix_alert_incident_started_at"), table_name="alert_incident")
    op.drop_table("alert_incident")
