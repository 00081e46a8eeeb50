"""case tracker and people

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import hub.store.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_attempt",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempt_client_at", ["client", "at"], unique=False)
        batch_op.create_index("ix_login_attempt_login_at", ["login", "at"], unique=False)

    op.create_table(
        "person",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=True),
        sa.Column("agency", sa.String(length=32), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("login", name=op.f("uq_person_login")),
    )
    op.create_table(
        "audit_entry",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("case_ref", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_audit_entry_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_case_ref"), ["case_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_login"), ["login"], unique=False)

    op.create_table(
        "case_action",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.String(length=64), nullable=False),
        sa.Column("measure", sa.Text(), nullable=False),
        sa.Column("help_type", sa.String(length=16), nullable=False),
        sa.Column("responsible_agency", sa.String(length=32), nullable=False),
        sa.Column("responsible_organisation", sa.String(length=300), nullable=True),
        sa.Column("specialist_name", sa.String(length=200), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("due_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("in_plan", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_case_action_case_id_case_file")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_action")),
        sa.UniqueConstraint("case_id", "action_id", name=op.f("uq_case_action_case_id_action_id")),
    )
    with op.batch_alter_table("case_action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_action_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_conflict",
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
        sa.Column("sender", sa.String(length=32), nullable=False),
        sa.Column("message_type", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("detected_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_case_conflict_case_id_case_file")
        ),
        sa.ForeignKeyConstraint(
            ["message_log_id"],
            ["message_log.id"],
            name=op.f("fk_case_conflict_message_log_id_message_log"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_conflict")),
    )
    with op.batch_alter_table("case_conflict", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_conflict_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_deadline",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("responsible", sa.String(length=32), nullable=False),
        sa.Column("due_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("met_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalation_message_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_case_deadline_case_id_case_file")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_deadline")),
        sa.UniqueConstraint(
            "case_id", "kind", "subject", name=op.f("uq_case_deadline_case_id_kind_subject")
        ),
    )
    with op.batch_alter_table("case_deadline", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_deadline_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_case_deadline_open_due", ["met_at", "escalated_at", "due_at"], unique=False
        )

    op.create_table(
        "case_plan",
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
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("approved_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=True),
        sa.Column("approved_by", sa.String(length=300), nullable=True),
        sa.Column("curator_name", sa.String(length=200), nullable=False),
        sa.Column("goals", sa.Text(), nullable=True),
        sa.Column("actions_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_case_plan_case_id_case_file")
        ),
        sa.ForeignKeyConstraint(
            ["message_log_id"],
            ["message_log.id"],
            name=op.f("fk_case_plan_message_log_id_message_log"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_plan")),
        sa.UniqueConstraint(
            "case_id", "plan_id", "version", name=op.f("uq_case_plan_case_id_plan_id_version")
        ),
    )
    with op.batch_alter_table("case_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_plan_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_referral",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "message_log_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("sender", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("referral_id", sa.String(length=64), nullable=False),
        sa.Column("detected_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("family_name", sa.String(length=200), nullable=True),
        sa.Column("children_count", sa.Integer(), nullable=False),
        sa.Column("receipt_due_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("receipt_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_case_referral_case_id_case_file")
        ),
        sa.ForeignKeyConstraint(
            ["message_log_id"],
            ["message_log.id"],
            name=op.f("fk_case_referral_message_log_id_message_log"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_referral")),
        sa.UniqueConstraint("message_log_id", name=op.f("uq_case_referral_message_log_id")),
    )
    with op.batch_alter_table("case_referral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_referral_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_case_referral_message_id"), ["message_id"], unique=False
        )

    op.create_table(
        "case_report",
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
        sa.Column("report_id", sa.String(length=64), nullable=False),
        sa.Column("sender", sa.String(length=32), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=True),
        sa.Column("received_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_case_report_case_id_case_file")
        ),
        sa.ForeignKeyConstraint(
            ["message_log_id"],
            ["message_log.id"],
            name=op.f("fk_case_report_message_log_id_message_log"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_report")),
    )
    with op.batch_alter_table("case_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_report_case_id"), ["case_id"], unique=False)

    op.create_table(
        "web_session",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_web_session_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_session_token_hash")),
    )
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_session_person_id"), ["person_id"], unique=False)

    op.create_table(
        "case_action_status",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "action_row_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "message_log_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("reporter", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organisation", sa.String(length=300), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_row_id"],
            ["case_action.id"],
            name=op.f("fk_case_action_status_action_row_id_case_action"),
        ),
        sa.ForeignKeyConstraint(
            ["message_log_id"],
            ["message_log.id"],
            name=op.f("fk_case_action_status_message_log_id_message_log"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_action_status")),
    )
    with op.batch_alter_table("case_action_status", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_action_status_action_row_id"), ["action_row_id"], unique=False
        )

    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), nullable=False, server_default="signal")
        )
        batch_op.add_column(sa.Column("risk_level", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("family_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("children_count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("referrer", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("decision_body_kind", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("decision_body_name", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("decision_outcome", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("curator_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("curator_organisation", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("consent_status", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("signal_at", hub.store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("receipt_at", hub.store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("survey_at", hub.store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("consent_at", hub.store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("decision_at", hub.store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("plan_at", hub.store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("closed_at", hub.store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("closure_reason", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("post_support_until", sa.Date(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_case_file_curator_name"), ["curator_name"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_case_file_region"), ["region"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_file_region"))
        batch_op.drop_index(batch_op.f("ix_case_file_curator_name"))
        batch_op.drop_column("post_support_until")
        batch_op.drop_column("closure_reason")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("plan_at")
        batch_op.drop_column("decision_at")
        batch_op.drop_column("consent_at")
        batch_op.drop_column("survey_at")
        batch_op.drop_column("receipt_at")
        batch_op.drop_column("signal_at")
        batch_op.drop_column("consent_status")
        batch_op.drop_column("curator_organisation")
        batch_op.drop_column("curator_name")
        batch_op.drop_column("decision_outcome")
        batch_op.drop_column("decision_body_name")
        batch_op.drop_column("decision_body_kind")
        batch_op.drop_column("referrer")
        batch_op.drop_column("children_count")
        batch_op.drop_column("family_name")
        batch_op.drop_column("urgent")
        batch_op.drop_column("risk_level")
        batch_op.drop_column("state")
        batch_op.drop_column("region")

    with op.batch_alter_table("case_action_status", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_action_status_action_row_id"))

    op.drop_table("case_action_status")
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_session_person_id"))

    op.drop_table("web_session")
    with op.batch_alter_table("case_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_report_case_id"))

    op.drop_table("case_report")
    with op.batch_alter_table("case_referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_referral_message_id"))
        batch_op.drop_index(batch_op.f("ix_case_referral_case_id"))

    op.drop_table("case_referral")
    with op.batch_alter_table("case_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_plan_case_id"))

    op.drop_table("case_plan")
    with op.batch_alter_table("case_deadline", schema=None) as batch_op:
        batch_op.drop_index("ix_case_deadline_open_due")
        batch_op.drop_index(batch_op.f("ix_case_deadline_case_id"))

    op.drop_table("case_deadline")
    with op.batch_alter_table("case_conflict", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_conflict_case_id"))

    op.drop_table("case_conflict")
    with op.batch_alter_table("case_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_action_case_id"))

    op.drop_table("case_action")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_login"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_case_ref"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_at"))

    op.drop_table("audit_entry")
    op.drop_table("person")
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempt_login_at")
        batch_op.drop_index("ix_login_attempt_client_at")

    op.drop_table("login_attempt")
