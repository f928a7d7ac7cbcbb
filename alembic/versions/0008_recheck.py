"""index remote photos by source and last re-check, for deletions at the source

Each approved post's last re-check time lives in ``remote_photos.checked_at``;
the poller picks the posts due for a re-check and reports the oldest check
per source, both by ``(source_name, checked_at)``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("remote_photos", schema=None) as batch_op:
        batch_op.create_index(
            "ix_remote_photos_source_checked", ["source_name", "checked_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("remote_photos", schema=None) as batch_op:
        batch_op.drop_index("ix_remote_photos_source_checked")
