"""Typed mappings of the wall's tables. No queries here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

EventId = BigInteger().with_variant(Integer, "sqlite")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in and out, also on SQLite (which stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Photo(Base):
    __tablename__ = "photos"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_photos_source_source_id"),
        Index("ix_photos_status_submitted", "status", "submitted_at"),
        Index("ix_photos_status_approved", "status", "approved_at"),
        # The wall's stats count by source and region from this index alone.
        Index("ix_photos_status_source_region", "status", "source", "region"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(255))
    permalink: Mapped[str | None] = mapped_column(Text)
    author_name: Mapped[str | None] = mapped_column(String(200))
    author_handle: Mapped[str | None] = mapped_column(String(200))
    author_url: Mapped[str | None] = mapped_column(Text)
    show_name: Mapped[bool] = mapped_column(Boolean, default=True)
    caption: Mapped[str] = mapped_column(Text, default="")
    alt: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(String(100))
    school: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    posted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    placeholder: Mapped[str | None] = mapped_column(String(16))
    blurhash: Mapped[str | None] = mapped_column(String(64))
    green_score: Mapped[float | None] = mapped_column(Float)
    phash: Mapped[str | None] = mapped_column(String(32), index=True)
    # The pHash cut in PHASH_BANDS bands, kept in step with ``phash`` (see
    # ``_phash_set``): the near-duplicate lookup probes these indexes instead
    # of reading every hash (wall.moderation.rules).
    phash_band0: Mapped[int | None] = mapped_column(Integer, index=True)
    phash_band1: Mapped[int | None] = mapped_column(Integer, index=True)
    phash_band2: Mapped[int | None] = mapped_column(Integer, index=True)
    phash_band3: Mapped[int | None] = mapped_column(Integer, index=True)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # kind -> {"name", "width", "height", "content_type"}; see wall.photos.
    media: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    consent_version: Mapped[str | None] = mapped_column(String(32))
    consent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    age_confirmation: Mapped[str | None] = mapped_column(String(32))
    # Who gave the consent: self (14 or older), parent, or school (a class upload
    # under the school's photo release); see wall.consent.
    consent_by: Mapped[str | None] = mapped_column(String(16))
    # One unticked box each: uses beyond the wall itself (wall.consent.may_appear).
    consent_school_wall: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    consent_embed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    consent_archive: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    client_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    manage_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Caption, alt and author folded (case, accents) for the moderators' search.
    search_text: Mapped[str | None] = mapped_column(Text)


PHASH_BANDS = 4  # 16-bit bands of the 64-bit pHash (16 hex digits)
PHASH_BAND_BITS = 16


def phash_bands(value: str | None) -> tuple[int | None, ...]:
    """The bands of a pHash, most significant first; ``None`` for no or a malformed hash."""
    try:
        number = int(value, 16) if value and len(value) == 16 else None
    except ValueError:
        number = None
    if number is None:
        return (None,) * PHASH_BANDS
    mask = (1 << PHASH_BAND_BITS) - 1
    return tuple(
        (number >> (PHASH_BAND_BITS * (PHASH_BANDS - 1 - index))) & mask
        for index in range(PHASH_BANDS)
    )


@event.listens_for(Photo.phash, "set")
def _phash_set(photo: Photo, value: str | None, _old: object, _initiator: object) -> None:
    # Every writer of ``phash`` (the pipeline, erasure) keeps the bands in step.
    (photo.phash_band0, photo.phash_band1, photo.phash_band2, photo.phash_band3) = phash_bands(
        value
    )


class UploadClient(Base):
    """A client that reserved an upload slot: the row its reservations lock, one at a time."""

    __tablename__ = "upload_clients"

    client_hash: Mapped[str] = mapped_column(String(64), primary_key=True)


class UploadSlot(Base):
    """An upload under way, counted against its client's limits until stored or given up."""

    __tablename__ = "upload_slots"

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    client_hash: Mapped[str] = mapped_column(String(64), index=True)
    reserved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class MediaFile(Base):
    """Which photo a stored file belongs to, and whether it may ever be public."""

    __tablename__ = "media_files"

    # Content-addressed: the same image uploaded twice yields the same names.
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    photo_id: Mapped[str] = mapped_column(
        ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    public: Mapped[bool] = mapped_column(Boolean)


class Moderator(Base):
    __tablename__ = "moderators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # RFC 6238 second factor: the base32 secret, set at enrolment, enabled once confirmed.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The last time step accepted, so a code cannot be replayed.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)


class ModeratorSession(Base):
    """A server-side sign-in session: the cookie carries a signed reference to it."""

    __tablename__ = "moderator_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    moderator_id: Mapped[int] = mapped_column(
        ForeignKey("moderators.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    client: Mapped[str | None] = mapped_column(String(64))


class Event(Base):
    """Append-only log of visible changes; the id is the SSE event id."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(32))
    photo_id: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Decision(Base):
    """Audit trail of every moderation decision: who, what, when, why."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    # Not a foreign key: the audit trail outlives a purged photo.
    photo_id: Mapped[str] = mapped_column(String(32), index=True)
    moderator_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderators.id", ondelete="SET NULL"), index=True
    )
    rule: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    # Free text, kept until the purge redacts it; ``reason_code`` is a stable
    # code (``wall.moderation.reasons``) kept for good.
    reason: Mapped[str | None] = mapped_column(Text)
    reason_code: Mapped[str | None] = mapped_column(String(32))
    # Indexed for the peak-day view (decisions of the last minutes).
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class AuditEntry(Base):
    """Append-only audit log: who did what, when, from where and why."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_action_created", "action", "created_at"),)

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Not foreign keys: the log outlives moderators and photos.
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(254))  # an email, "rule:<name>" or "system"
    action: Mapped[str] = mapped_column(String(48))
    photo_id: Mapped[str | None] = mapped_column(String(32), index=True)
    target: Mapped[str | None] = mapped_column(String(254))
    client: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Claim(Base):
    """A photo open in one moderator's view; others see who holds it until it expires."""

    __tablename__ = "claims"

    photo_id: Mapped[str] = mapped_column(
        ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True
    )
    moderator_id: Mapped[int] = mapped_column(
        ForeignKey("moderators.id", ondelete="CASCADE"), index=True
    )
    claimed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ModerationOption(Base):
    """Settings admins change at run time (rules, intake pause): one JSON value per key."""

    __tablename__ = "moderation_options"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("moderators.id", ondelete="SET NULL"))


class LoginAttempts(Base):
    """Sign-in attempts counted under one throttle key (shared by all workers).

    Keys are ``account:``, ``client:`` and ``pair:`` followed by a digest, so
    the table holds no email address. A count starts over once its key has
    been quiet for the throttle's window.
    """

    __tablename__ = "login_attempts"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer)
    last_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class RemovalRequest(Base):
    """A public request to take a photo down; moderators see open ones first."""

    __tablename__ = "removal_requests"
    __table_args__ = (Index("ix_removal_requests_resolved_created", "resolved_at", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    photo_ref: Mapped[str] = mapped_column(Text)  # the link or photo number as given
    # What the photo shows, when, its caption: enough without a link.
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    photo_id: Mapped[str | None] = mapped_column(String(32), index=True)
    reason: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(254))
    client_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[int | None] = mapped_column(
        ForeignKey("moderators.id", ondelete="SET NULL")
    )
    resolution: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


class RemotePhoto(Base):
    """Where a photo found on a network came from; one row per such photo.

    Kept beside ``photos`` rather than in it: uploads have none of this, and
    the re-check for deletions at the source reads only these rows.
    """

    __tablename__ = "remote_photos"
    __table_args__ = (
        Index("ix_remote_photos_source_checked", "source_name", "checked_at"),
        # A pushed deletion (Jetstream: every deletion of the network) probes it.
        Index("ix_remote_photos_source_remote_id", "source_name", "remote_id"),
    )

    photo_id: Mapped[str] = mapped_column(
        ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True
    )
    source_name: Mapped[str] = mapped_column(String(100), index=True)  # wall.toml's name
    uri: Mapped[str] = mapped_column(Text)  # the post's global uri, the same on every instance
    remote_id: Mapped[str] = mapped_column(String(255))  # the id on the instance that answered
    image_index: Mapped[int] = mapped_column(Integer)
    # The last time the source said the post still exists (deletions at the source).
    checked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SourceState(Base):
    """What the poller remembers about one configured source (``wall.toml`` name)."""

    __tablename__ = "source_states"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    cursor: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # "retryable" or "permanent" while failing, None after a success.
    error_kind: Mapped[str | None] = mapped_column(String(16))
    next_poll_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    fetched_total: Mapped[int] = mapped_column(BigInteger, default=0)
    stored_total: Mapped[int] = mapped_column(BigInteger, default=0)
    skipped_total: Mapped[int] = mapped_column(BigInteger, default=0)
    last_head_read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_recheck_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The newest post the cursor has delivered: a head read that finds newer
    # posts while the cursor stands still means the source is stalled.
    newest_post_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # "stalled" or "restricted" while the source answers but misses posts.
    warning: Mapped[str | None] = mapped_column(String(16))
    # A poller process holds a source while it polls it, so several workers
    # (``wall serve --workers N``, ``wall poll``) never poll one source twice.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ManagedSource(Base):
    """A source the pollers poll, seeded by ``wall.toml`` or added on the admin page.

    Credentials are only ever stored sealed (``wall.sources.sealing``); the
    rules for adding, changing and removing are in ``wall.sources.catalogue``.
    """

    __tablename__ = "managed_sources"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    base_url: Mapped[str] = mapped_column(String(500))
    interval: Mapped[float] = mapped_column(Float)
    hashtags: Mapped[str] = mapped_column(Text)  # a JSON list
    recheck_per_minute: Mapped[float | None] = mapped_column(Float)
    stream_url: Mapped[str | None] = mapped_column(String(500))
    sealed_credentials: Mapped[str | None] = mapped_column(Text)
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    origin: Mapped[str] = mapped_column(String(8))  # "file" or "admin"
    edited: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SchoolInvite(Base):
    """A link an admin gives a school for class uploads (``wall.school_invites``).

    Only a keyed hash of the link's secret is kept: the link is shown once.
    """

    __tablename__ = "school_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    school: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    upload_limit: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(254))  # an admin's email, or "cli"
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
