"""school invites: links that let a school send a class's photos in one form

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 00:00:00

Frozen in time: no application imports (``UTCDateTime`` stores a plain
``DateTime(timezone=True)``).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "school_invites",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("upload_limit", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_invites")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_school_invites_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("school_invites")
