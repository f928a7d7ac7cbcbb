"""moderation: audit log, claims, options, login failures, removal requests, TOTP

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-28 14:41:36.952709

Frozen in time: no application imports. ``_search_text`` is the moderators'
search text as ``wall.moderation.rules`` computed it on this date (0006
later refolds it with ligatures).
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("photo_id", sa.String(length=32), nullable=True),
        sa.Column("target", sa.String(length=254), nullable=True),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_action_created", ["action", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_photo_id"), ["photo_id"], unique=False)

    op.create_table(
        "login_failures",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index("ix_login_failures_key_created", ["key", "created_at"], unique=False)

    op.create_table(
        "claims",
        sa.Column("photo_id", sa.String(length=32), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["moderator_id"],
            ["moderators.id"],
            name=op.f("fk_claims_moderator_id_moderators"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["photo_id"], ["photos.id"], name=op.f("fk_claims_photo_id_photos"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("photo_id", name=op.f("pk_claims")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claims_moderator_id"), ["moderator_id"], unique=False)

    op.create_table(
        "moderation_options",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["moderators.id"],
            name=op.f("fk_moderation_options_updated_by_moderators"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_moderation_options")),
    )
    op.create_table(
        "removal_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("photo_ref", sa.Text(), nullable=False),
        sa.Column("photo_id", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=254), nullable=True),
        sa.Column("client_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["resolved_by"],
            ["moderators.id"],
            name=op.f("fk_removal_requests_resolved_by_moderators"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_removal_requests")),
    )
    with op.batch_alter_table("removal_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_removal_requests_photo_id"), ["photo_id"], unique=False
        )
        batch_op.create_index(
            "ix_removal_requests_resolved_created", ["resolved_at", "created_at"], unique=False
        )

    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=True))
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decisions_created_at"), ["created_at"], unique=False)
    _fill_search_text()

    with op.batch_alter_table("moderators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("totp_enabled", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _search_text(*parts: str | None) -> str:
    return _fold(" ".join(part for part in parts if part))


def _fill_search_text() -> None:
    photos = sa.table(
        "photos",
        sa.column("id", sa.String),
        sa.column("caption", sa.Text),
        sa.column("alt", sa.Text),
        sa.column("author_name", sa.String),
        sa.column("author_handle", sa.String),
        sa.column("search_text", sa.Text),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            photos.c.id,
            photos.c.caption,
            photos.c.alt,
            photos.c.author_name,
            photos.c.author_handle,
        )
    ).all()
    for row in rows:
        bind.execute(
            photos.update()
            .where(photos.c.id == row.id)
            .values(
                search_text=_search_text(row.caption, row.alt, row.author_name, row.author_handle)
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decisions_created_at"))
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_column("search_text")
    with op.batch_alter_table("moderators", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_enabled")
        batch_op.drop_column("totp_secret")

    with op.batch_alter_table("removal_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_removal_requests_resolved_created")
        batch_op.drop_index(batch_op.f("ix_removal_requests_photo_id"))

    op.drop_table("removal_requests")
    op.drop_table("moderation_options")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claims_moderator_id"))

    op.drop_table("claims")
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failures_key_created")

    op.drop_table("login_failures")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_photo_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_created_at"))
        batch_op.drop_index("ix_audit_log_action_created")

    op.drop_table("audit_log")
