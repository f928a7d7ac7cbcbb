"""source health warnings, and the pHash cut in bands for the near-duplicate lookup

``source_states.warning`` ("stalled", "restricted") and ``newest_post_at``
(the newest post the cursor delivered) tell a source that answers but misses
posts. ``photos.phash_band0..3`` hold the 64-bit pHash as four indexed 16-bit
bands, filled here from the stored hashes.

Revision ID: 0012
Revises: 0008
Create Date: 2026-11-30 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BANDS = 4
BAND_BITS = 16
UTC_DATETIME = sa.DateTime(timezone=True)


def _bands(value: str | None) -> list[int | None]:
    try:
        number = int(value, 16) if value and len(value) == 16 else None
    except ValueError:
        number = None
    if number is None:
        return [None] * BANDS
    mask = (1 << BAND_BITS) - 1
    return [(number >> (BAND_BITS * (BANDS - 1 - i))) & mask for i in range(BANDS)]


def upgrade() -> None:
    with op.batch_alter_table("source_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("newest_post_at", UTC_DATETIME, nullable=True))
        batch_op.add_column(sa.Column("warning", sa.String(length=16), nullable=True))
    with op.batch_alter_table("photos", schema=None) as batch_op:
        for index in range(BANDS):
            batch_op.add_column(sa.Column(f"phash_band{index}", sa.Integer(), nullable=True))
            batch_op.create_index(f"ix_photos_phash_band{index}", [f"phash_band{index}"])
    photos = sa.table(
        "photos",
        sa.column("id", sa.String),
        sa.column("phash", sa.String),
        *(sa.column(f"phash_band{index}", sa.Integer) for index in range(BANDS)),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(photos.c.id, photos.c.phash).where(photos.c.phash.is_not(None))
    ).all()
    for photo_id, phash in rows:
        values = dict(zip((f"phash_band{i}" for i in range(BANDS)), _bands(phash), strict=True))
        bind.execute(photos.update().where(photos.c.id == photo_id).values(**values))


def downgrade() -> None:
    with op.batch_alter_table("photos", schema=None) as batch_op:
        for index in range(BANDS):
            batch_op.drop_index(f"ix_photos_phash_band{index}")
            batch_op.drop_column(f"phash_band{index}")
    with op.batch_alter_table("source_states", schema=None) as batch_op:
        batch_op.drop_column("warning")
        batch_op.drop_column("newest_post_at")
