"""Posts deleted at the source leave the wall.

Now and then the poller asks the network, through the adapter's ``exists``,
about posts approved recently (least recently checked first). A post that is
gone has every one of its photos removed with the rule ``source_deleted``,
which emits ``photo.removed`` for the screens. An adapter that answers
``None`` cannot tell (Instagram); the poller stops asking it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from wall.db import Database
from wall.models import Photo, RemotePhoto, utcnow
from wall.moderation import service
from wall.moderation.states import Action, Status
from wall.sources.base import RemotePost, Source

SOURCE_DELETED_REASON = "supprimée à la source"


async def recently_approved(
    db: Database, source_name: str, window: dt.timedelta, batch: int
) -> list[RemotePost]:
    """Up to ``batch`` posts of ``source_name`` approved within ``window``, least checked first."""
    async with db.reading() as session:
        rows = (
            await session.execute(
                select(RemotePhoto, Photo)
                .join(Photo, Photo.id == RemotePhoto.photo_id)
                .where(
                    RemotePhoto.source_name == source_name,
                    Photo.status == Status.APPROVED.value,
                    Photo.approved_at >= utcnow() - window,
                )
                .order_by(RemotePhoto.checked_at.is_not(None), RemotePhoto.checked_at)
                .limit(batch * 4)
            )
        ).all()
    posts: dict[str, RemotePost] = {}
    for origin, photo in rows:
        if origin.uri not in posts and len(posts) < batch:
            posts[origin.uri] = RemotePost(
                source=photo.source,
                id_at_source=origin.remote_id,
                uri=origin.uri,
                permalink=photo.permalink,
                author=None,
                posted_at=photo.posted_at,
                caption=photo.caption,
            )
    return list(posts.values())


async def recheck(
    db: Database, source: Source, source_name: str, window: dt.timedelta, batch: int
) -> tuple[int, bool]:
    """Ask about recent posts; returns (photos removed, whether the network can tell)."""
    removed = 0
    for post in await recently_approved(db, source_name, window, batch):
        exists = await source.exists(post)
        if exists is None:
            return removed, False
        if exists:
            await _mark_checked(db, post.uri)
        else:
            removed += await remove_post(db, post.uri)
    return removed, True


async def _mark_checked(db: Database, uri: str) -> None:
    async with db.writing() as session:
        await session.execute(
            update(RemotePhoto).where(RemotePhoto.uri == uri).values(checked_at=utcnow())
        )


async def remove_post(db: Database, uri: str) -> int:
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
            update(RemotePhoto).where(RemotePhoto.uri == uri).values(checked_at=utcnow())
        )
    return removed
