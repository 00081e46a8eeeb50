"""global MessageId: unique across senders; the hub's own notices keyed apart from their id

Receivers de-duplicate by MessageId alone, so one id from two senders meant one of the
two messages was dropped as a redelivery. The id becomes unique in the log, whoever sent
it. A database that already holds one MessageId from two senders cannot be given the
index without dropping or renaming one of them: the upgrade stops and names them, so an
operator decides (the hub never rewrites a logged, signed message).

The hub's overdue notices had MessageIds derived from their deadline, which a partner
could send first; they get random ids, and ``hub_notice`` keys each notice by what it is
about, so two workers or a restart still send it once.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: Ids named in the refusal to upgrade; enough to act on, short enough to read.
_SHOWN = 20


def upgrade() -> None:
    _refuse_shared_message_ids()
    with op.batch_alter_table("message_log", schema=None) as batch_op:
        batch_op.drop_index("ix_message_log_message_id")
        batch_op.create_index("uq_message_log_message_id", ["message_id"], unique=True)
    op.create_table(
        "hub_notice",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("notice_key", sa.String(length=200), nullable=False),
        sa.Column(
            "message_log_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["message_log_id"],
            ["message_log.id"],
            name=op.f("fk_hub_notice_message_log_id_message_log"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_notice")),
        sa.UniqueConstraint("notice_key", name=op.f("uq_hub_notice_notice_key")),
    )


def downgrade() -> None:
    op.drop_table("hub_notice")
    with op.batch_alter_table("message_log", schema=None) as batch_op:
        batch_op.drop_index("uq_message_log_message_id")
        batch_op.create_index("ix_message_log_message_id", ["message_id"], unique=False)


def _refuse_shared_message_ids() -> None:
    """Stop, naming them, if some MessageIds were logged from more than one sender."""
    log = sa.table("message_log", sa.column("message_id"), sa.column("sender"))
    shared = (
        sa.select(log.c.message_id)
        .group_by(log.c.message_id)
        .having(sa.func.count(sa.distinct(log.c.sender)) > 1)
    )
    rows = (
        op.get_bind()
        .execute(
            sa.select(log.c.message_id, log.c.sender)
            .where(log.c.message_id.in_(shared))
            .distinct()
            .order_by(log.c.message_id, log.c.sender)
        )
        .all()
    )
    if not rows:
        return
    senders: dict[str, list[str]] = {}
    for message_id, sender in rows:
        senders.setdefault(message_id, []).append(sender)
    listed = "; ".join(
        f"{message_id} from {', '.join(codes)}"
        for message_id, codes in list(senders.items())[:_SHOWN]
    )
    more = f" (and {len(senders) - _SHOWN} more)" if len(senders) > _SHOWN else ""
    raise RuntimeError(
        f"migration 0008 stopped: {len(senders)} MessageId(s) were accepted from more than "
        f"one sender, and a MessageId must now be unique: {listed}{more}. Nothing was "
        "changed. Receivers dropped the later of each pair as a redelivery: have its sender "
        "send it again under a new MessageId, set a distinct message_id on its message_log "
        "row (the hash chain covers the signed bytes, not that column), then run "
        "`hub db upgrade` again."
    )
