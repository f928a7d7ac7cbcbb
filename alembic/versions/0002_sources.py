"""source states and remote photos

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 14:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "source_states",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_kind", sa.String(length=16), nullable=True),
        sa.Column("next_poll_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("fetched_total", sa.BigInteger(), nullable=False),
        sa.Column("stored_total", sa.BigInteger(), nullable=False),
        sa.Column("skipped_total", sa.BigInteger(), nullable=False),
        sa.Column("last_head_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_recheck_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_source_states")),
    )
    op.create_table(
        "remote_photos",
        sa.Column("photo_id", sa.String(length=32), nullable=False),
        sa.Column("source_name", sa.String(length=100), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("remote_id", sa.String(length=255), nullable=False),
        sa.Column("image_index", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photos.id"],
            name=op.f("fk_remote_photos_photo_id_photos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("photo_id", name=op.f("pk_remote_photos")),
    )
    with op.batch_alter_table("remote_photos", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_remote_photos_source_name"), ["source_name"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("remote_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remote_photos_source_name"))
    op.drop_table("remote_photos")
    op.drop_table("source_states")
