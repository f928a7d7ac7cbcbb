"""Posts deleted at the source leave the wall.

Every round of a source, the poller asks the network, through the adapter's
``exists``, about approved posts that are due: never checked, or checked more
than ``WALL_RECHECK_SECONDS`` ago. The most recently approved go first (a post
that just reached the screens is the likeliest to be taken back), and the
round spends no more requests than the source's budget allows
(``recheck_rate``, requests per minute, saved up for at most
``MAX_SAVED_MINUTES`` between rounds). A post that is gone has every one of its
photos removed with the rule ``source_deleted`` through the moderation
service, which emits ``photo.removed`` for the screens. An adapter that
answers ``None`` cannot tell (Instagram); the poller stops asking it.

Where the network pushes deletions (Mastodon's hashtag stream), the poller
removes a post as soon as its ``delete`` arrives (``remove_deleted_id``);
the re-checks stay, for posts whose deletion the stream missed.

Each post's last check is stored in ``remote_photos.checked_at``; the worst
age (the longest an approved post has gone unchecked) is shown to moderators
and in ``/metrics``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, or_, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession

from wall.db import Database
from wall.models import Photo, RemotePhoto, UTCDateTime, utcnow
from wall.moderation import service
from wall.moderation.states import Action, Status
from wall.sources.base import RemotePost, Source, SourceConfig

SOURCE_DELETED_REASON = "supprimée à la source"

# Requests per minute spent on re-checks, by network: about two thirds of
# what the network allows one client, the rest left to the hashtag polls,
# retries and other tools on the same address (docs/sources.md).
RECHECK_PER_MINUTE: dict[str, float] = {
    "mastodon": 45.0,  # anonymous: 300 requests / 5 min per IP
    "gotosocial": 45.0,  # 300 requests / 5 min per IP by default
    "akkoma": 45.0,  # Mastodon-like limits per IP
    "pleroma": 45.0,
    "pixelfed": 40.0,  # limits are per instance; stay under one request per second
    "bluesky": 200.0,  # 3,000 requests / 5 min per IP on the AppView
    "flickr": 40.0,  # 3,600 calls / hour per API key
    "instagram": 0.0,  # cannot tell
}
# With a token, Mastodon counts requests per account: 1,500 / 5 min.
TOKEN_RECHECK_PER_MINUTE: dict[str, float] = {"mastodon": 240.0}
DEFAULT_PER_MINUTE = 30.0
MAX_SAVED_MINUTES = 2.0  # unspent budget carried over to a late round, at most


def recheck_rate(config: SourceConfig) -> float:
    """Requests per minute this source may spend on re-checks."""
    if config.recheck_per_minute is not None:
        return config.recheck_per_minute
    if config.token and config.type in TOKEN_RECHECK_PER_MINUTE:
        return TOKEN_RECHECK_PER_MINUTE[config.type]
    return RECHECK_PER_MINUTE.get(config.type, DEFAULT_PER_MINUTE)


@dataclass(frozen=True)
class Budget:
    """Requests a round may spend, from the time since the budget was last spent.

    ``since`` is the budget's clock (``source_states.last_recheck_at``): each
    request spent moves it forward by ``60 / per_minute`` seconds, so fractions
    carry over from round to round, and it never lags ``now`` by more than
    ``MAX_SAVED_MINUTES``.
    """

    per_minute: float
    since: dt.datetime
    requests: int

    @classmethod
    def at(cls, per_minute: float, last: dt.datetime | None, now: dt.datetime) -> Budget:
        oldest = now - dt.timedelta(minutes=MAX_SAVED_MINUTES)
        since = now - dt.timedelta(minutes=1) if last is None else max(min(last, now), oldest)
        minutes = (now - since).total_seconds() / 60.0
        return cls(per_minute, since, int(per_minute * minutes + 1e-9))

    def spent(self, requests: int, now: dt.datetime, *, more_due: bool) -> dt.datetime:
        """The budget's clock after ``requests``; ``now`` when nothing else was due."""
        if not more_due or self.per_minute <= 0:
            return now
        return min(now, self.since + dt.timedelta(minutes=requests / self.per_minute))


async def due_posts(
    db: Database, source_name: str, now: dt.datetime, every: dt.timedelta, limit: int
) -> list[RemotePost]:
    """Up to ``limit`` approved posts of ``source_name`` due for a check, newest approval first."""
    approved_at = func.max(Photo.approved_at)
    async with db.reading() as session:
        rows = (
            await session.execute(
                select(
                    RemotePhoto.uri,
                    RemotePhoto.remote_id,
                    func.max(Photo.source),
                    func.max(Photo.posted_at),
                    approved_at,
                )
                .join(Photo, Photo.id == RemotePhoto.photo_id)
                .where(
                    RemotePhoto.source_name == source_name,
                    Photo.status == Status.APPROVED.value,
                    or_(RemotePhoto.checked_at.is_(None), RemotePhoto.checked_at <= now - every),
                )
                .group_by(RemotePhoto.uri, RemotePhoto.remote_id)
                .order_by(approved_at.desc(), RemotePhoto.uri)
                .limit(limit)
            )
        ).all()
    return [
        RemotePost(
            source=kind,
            id_at_source=remote_id,
            uri=uri,
            permalink=None,
            author=None,
            posted_at=posted_at,
            caption="",
        )
        for uri, remote_id, kind, posted_at, _ in rows
    ]


@dataclass
class Recheck:
    """The outcome of one round's re-checks."""

    asked: int = 0
    removed: int = 0
    can_tell: bool = True
    more_due: bool = False


async def recheck(
    db: Database,
    source: Source,
    source_name: str,
    *,
    now: dt.datetime,
    every: dt.timedelta,
    budget: int,
) -> Recheck:
    """Ask about up to ``budget`` due posts; remove those deleted at the source."""
    outcome = Recheck()
    if budget <= 0:
        outcome.more_due = bool(await due_posts(db, source_name, now, every, 1))
        return outcome
    posts = await due_posts(db, source_name, now, every, budget + 1)
    outcome.more_due = len(posts) > budget
    still_there: list[str] = []
    try:
        for post in posts[:budget]:
            exists = await source.exists(post)
            if exists is None:
                outcome.can_tell = False
                return outcome
            outcome.asked += 1
            if exists:
                still_there.append(post.uri)
            else:
                outcome.removed += await remove_post(db, post.uri, now=now)
    finally:
        # Also after a failure midway (a 429): what was asked need not be asked again.
        await mark_checked(db, source_name, still_there, now)
    return outcome


async def mark_checked(db: Database, source_name: str, uris: list[str], now: dt.datetime) -> None:
    if not uris:
        return
    async with db.writing() as session:
        await session.execute(
            update(RemotePhoto)
            .where(RemotePhoto.source_name == source_name, RemotePhoto.uri.in_(uris))
            .values(checked_at=now)
        )


async def remove_post(db: Database, uri: str, *, now: dt.datetime | None = None) -> int:
    """Remove every photo of a post deleted at the source (all its images)."""
    removed = 0
    async with db.writing() as session:
        ids = (
            await session.scalars(
                select(Photo.id)
                .join(RemotePhoto, RemotePhoto.photo_id == Photo.id)
                .where(RemotePhoto.uri == uri, Photo.status != Status.REMOVED.value)
            )
        ).all()
        for photo_id in ids:
            await service.decide(
                session,
                photo_id,
                Action.REMOVE,
                rule="source_deleted",
                reason=SOURCE_DELETED_REASON,
            )
            removed += 1
        await session.execute(
            update(RemotePhoto).where(RemotePhoto.uri == uri).values(checked_at=now or utcnow())
        )
    return removed


async def remove_deleted_id(db: Database, source_name: str, remote_id: str) -> int:
    """Remove the photos of the post ``remote_id`` of ``source_name``, deleted there
    (a pushed ``delete``); 0 when the wall never stored it."""
    async with db.reading() as session:
        uris = (
            await session.scalars(
                select(RemotePhoto.uri)
                .where(RemotePhoto.source_name == source_name, RemotePhoto.remote_id == remote_id)
                .distinct()
            )
        ).all()
    removed = 0
    for uri in uris:
        removed += await remove_post(db, uri)
    return removed


async def worst_ages(
    session: AsyncSession, source_names: Iterable[str], now: dt.datetime
) -> dict[str, float]:
    """Per source, the seconds the longest-unchecked approved post has waited.

    A post never checked counts from its approval. Sources with no approved
    post are left out.
    """
    oldest = func.min(
        type_coerce(func.coalesce(RemotePhoto.checked_at, Photo.approved_at), UTCDateTime)
    )
    rows = await session.execute(
        select(RemotePhoto.source_name, type_coerce(oldest, UTCDateTime))
        .join(Photo, Photo.id == RemotePhoto.photo_id)
        .where(
            RemotePhoto.source_name.in_(list(source_names)),
            Photo.status == Status.APPROVED.value,
        )
        .group_by(RemotePhoto.source_name)
    )
    return {
        name: max(0.0, (now - moment).total_seconds())
        for name, moment in rows.all()
        if moment is not None
    }
