"""rejection reason codes; no raw client addresses in the audit log or sessions

``decisions.reason_code`` holds the quick rejection reason as a stable code
(``off_topic``…), which the purge keeps while it redacts free text.

``audit_log.client`` and ``moderator_sessions.client`` now hold a keyed hash
of the client's address. The rows written before held the address itself;
the key is not known here, so those values are cleared.

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-30 00:30:00

Frozen in time: no application imports.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason_code", sa.String(length=32), nullable=True))
    op.execute(sa.text("UPDATE audit_log SET client = NULL WHERE client IS NOT NULL"))
    op.execute(sa.text("UPDATE moderator_sessions SET client = NULL WHERE client IS NOT NULL"))


def downgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_column("reason_code")
