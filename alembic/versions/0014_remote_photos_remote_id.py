"""an index for a pushed deletion's lookup by (source, remote id)

Bluesky's Jetstream pushes every post deletion of the whole network (several
a second); each is looked up by ``(source_name, remote_id)`` and nearly all
find nothing. The index makes that lookup a probe instead of a scan of the
source's rows.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 19:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_remote_photos_source_remote_id", "remote_photos", ["source_name", "remote_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_remote_photos_source_remote_id", table_name="remote_photos")
