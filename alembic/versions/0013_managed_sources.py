"""sources managed from the admin page

``managed_sources`` holds every source the pollers poll: the ones
``wall.toml`` seeds at start (``origin = 'file'``) and the ones admins add on
the admin page (``origin = 'admin'``). Credentials are kept sealed (AES-GCM,
a key derived from ``WALL_SECRET_KEY``) in ``sealed_credentials``, never in
clear. ``edited`` marks a file source an admin has changed since: the file no
longer overwrites it. A removed source keeps its row with ``removed_at`` so
that the file does not bring it back at the next start. ``version`` counts
the changes (the pollers compare the settings themselves).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "managed_sources",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("base_url", sa.String(500), nullable=False),
        sa.Column("interval", sa.Float(), nullable=False),
        sa.Column("hashtags", sa.Text(), nullable=False),
        sa.Column("recheck_per_minute", sa.Float(), nullable=True),
        sa.Column("stream_url", sa.String(500), nullable=True),
        sa.Column("sealed_credentials", sa.Text(), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("edited", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("removed_at", UTC_DATETIME, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("managed_sources")
