"""partner api keys: many per partner (rotation with overlap), argon2id hashes

Keys issued before this revision move over with their SHA-256 hash, marked
"sha256$…", and keep working until the partner's key is rotated.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

import hub.store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    partner = sa.table(
        "partner",
        sa.column("id", sa.BigInteger()),
        sa.column("api_key_id", sa.String()),
        sa.column("api_key_hash", sa.String()),
        sa.column("created_at", hub.store.types.UTCDateTime(timezone=True)),
    )
    # Read the keys first: SQLite rebuilds "partner" to drop the columns, which it could
    # not do under a foreign key from the new table.
    legacy = [
        {
            "partner_id": row.id,
            "key_id": row.api_key_id,
            "key_hash": f"sha256${row.api_key_hash}",
            "created_at": row.created_at,
        }
        for row in op.get_bind().execute(
            sa.select(partner).where(
                partner.c.api_key_id.is_not(None), partner.c.api_key_hash.is_not(None)
            )
        )
    ]
    with op.batch_alter_table("partner", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_partner_api_key_id"), type_="unique")
        batch_op.drop_column("api_key_id")
        batch_op.drop_column("api_key_hash")
    keys = op.create_table(
        "partner_api_key",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "partner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", hub.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", hub.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_partner_api_key_partner_id_partner")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_api_key")),
        sa.UniqueConstraint("key_id", name=op.f("uq_partner_api_key_key_id")),
    )
    with op.batch_alter_table("partner_api_key", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_api_key_partner_id"), ["partner_id"], unique=False
        )
    if legacy:
        op.bulk_insert(keys, legacy)


def downgrade() -> None:
    with op.batch_alter_table("partner", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_key_hash", sa.VARCHAR(length=128), nullable=True))
        batch_op.add_column(sa.Column("api_key_id", sa.VARCHAR(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_partner_api_key_id"), ["api_key_id"])

    with op.batch_alter_table("partner_api_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_api_key_partner_id"))

    op.drop_table("partner_api_key")
