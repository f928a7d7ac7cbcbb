"""consent per purpose and who gave it; removal requests by description

Each uploaded photo records who consented (``self``, ``parent`` or
``school``) and one flag per further use: a public school wall, partners'
embeds, the campaign's archive. Photos stored before have none of them (their
consent version named none of these uses). A removal request may describe the
photo instead of linking to it.

Revision ID: 0011
Revises: 0008
Create Date: 2026-11-30 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PURPOSES = ("consent_school_wall", "consent_embed", "consent_archive")


def upgrade() -> None:
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_by", sa.String(length=16), nullable=True))
        for name in PURPOSES:
            batch_op.add_column(
                sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false())
            )
    with op.batch_alter_table("removal_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("removal_requests", schema=None) as batch_op:
        batch_op.drop_column("description")
    with op.batch_alter_table("photos", schema=None) as batch_op:
        for name in reversed(PURPOSES):
            batch_op.drop_column(name)
        batch_op.drop_column("consent_by")
