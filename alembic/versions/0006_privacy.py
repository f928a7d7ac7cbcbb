"""privacy: the moderators' search text folded with ligatures (œ → oe, æ → ae, ß → ss)

Data only: ``photos.search_text`` is recomputed with the folding that the
word rules and the search now share, so a search for "ecoeurant" finds a
caption stored before this change with "écœurant". The folding is copied
here as it was on this date (migrations never import the application).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ẞ": "ss"})
_BATCH = 500

photos = sa.table(
    "photos",
    sa.column("id", sa.String),
    sa.column("caption", sa.Text),
    sa.column("alt", sa.Text),
    sa.column("author_name", sa.String),
    sa.column("author_handle", sa.String),
    sa.column("search_text", sa.Text),
)


def _fold(text: str) -> str:
    compatible = unicodedata.normalize("NFKC", text).casefold().translate(_LIGATURES)
    decomposed = unicodedata.normalize("NFKD", compatible)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def upgrade() -> None:
    bind = op.get_bind()
    last = ""
    while True:
        rows = bind.execute(
            sa.select(
                photos.c.id,
                photos.c.caption,
                photos.c.alt,
                photos.c.author_name,
                photos.c.author_handle,
            )
            .where(photos.c.id > last)
            .order_by(photos.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        for photo_id, *parts in rows:
            text = _fold(" ".join(part for part in parts if part))
            bind.execute(sa.update(photos).where(photos.c.id == photo_id).values(search_text=text))
        last = rows[-1][0]


def downgrade() -> None:
    """The earlier folding found less; the recomputed text needs no undoing."""
