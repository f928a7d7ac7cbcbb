"""upload slots: per-client reservations that make the upload limits atomic

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00

Frozen in time: no application imports (``UTCDateTime`` stores a plain
``DateTime(timezone=True)``).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "upload_clients",
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("client_hash", name=op.f("pk_upload_clients")),
    )
    op.create_table(
        "upload_slots",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload_slots")),
    )
    with op.batch_alter_table("upload_slots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_upload_slots_client_hash"), ["client_hash"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("upload_slots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_upload_slots_client_hash"))
    op.drop_table("upload_slots")
    op.drop_table("upload_clients")
