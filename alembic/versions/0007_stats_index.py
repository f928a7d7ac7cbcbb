"""index photos by status, source and region for the wall's stats

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.create_index(
            "ix_photos_status_source_region", ["status", "source", "region"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_index("ix_photos_status_source_region")
