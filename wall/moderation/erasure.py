"""Deleting a photo for good: its files and everything in the database that names a person.

A withdrawal through the manage link, a granted removal request and an
admin's "erase" all end here, through ``service.decide`` (a transition to
``erased``), in the decision's own transaction:

- the photo's personal columns are emptied (caption, alt, author, permalink,
  school, search text) with what is derived from its pixels (placeholder,
  blurhash, pHash, file names);
- its file rows go; the files that no other photo references (names are
  content-addressed, so two photos may share one) are deleted as soon as the
  transaction commits (``delete_files_after_commit``);
- its origin on a network goes; ``source_id`` stays, so the poller never
  collects the same post again;
- the event rows that carry a copy of it (``photo.approved``,
  ``photo.updated``) go, and a ``photo.erased`` event makes every process's
  hub forget its in-memory copies (``wall.events.ReplayWindow``);
- free text about it goes: decision reasons, the reason and note of its audit
  rows, and its removal requests' link, reason, contact and note.

What stays is an anonymous tombstone (id, source, status, dates, region, the
consent record) so that screens, counts and the audit log stay consistent,
and no transition leaves ``erased``.
"""

from __future__ import annotations

import logging

import anyio.to_thread
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wall import events
from wall.db import AfterCommit
from wall.media import MediaStore
from wall.models import Decision, Event, MediaFile, Photo, RemotePhoto, RemovalRequest
from wall.moderation import audit

FILES_KEY = "wall.erasure.files"

log = logging.getLogger(__name__)


def _empty_personal_columns(photo: Photo) -> None:
    photo.caption = ""
    photo.alt = None
    photo.author_name = None
    photo.author_handle = None
    photo.author_url = None
    photo.show_name = False
    photo.permalink = None
    photo.school = None
    photo.search_text = None
    photo.placeholder = None
    photo.blurhash = None
    photo.phash = None
    photo.media = {}
    photo.pinned = False


async def erase(session: AsyncSession, photo: Photo) -> None:
    """Empty ``photo`` down to its tombstone, in the caller's transaction.

    Call it before the transaction's events are appended (``events.append``
    comes last), and end the transaction with ``tell_hubs``.
    """
    _empty_personal_columns(photo)
    names = set(
        (await session.scalars(select(MediaFile.name).where(MediaFile.photo_id == photo.id))).all()
    )
    await session.execute(delete(MediaFile).where(MediaFile.photo_id == photo.id))
    shared: set[str] = set()
    if names:
        shared = set(
            (await session.scalars(select(MediaFile.name).where(MediaFile.name.in_(names)))).all()
        )
    session.info.setdefault(FILES_KEY, set()).update(names - shared)
    await session.execute(delete(RemotePhoto).where(RemotePhoto.photo_id == photo.id))
    await session.execute(
        delete(Event).where(Event.photo_id == photo.id, Event.type.in_(events.COPY_EVENT_TYPES))
    )
    await forget_free_text(session, photo.id)


async def forget_free_text(session: AsyncSession, photo_id: str) -> None:
    """Empty what people wrote about a photo: decision reasons, audit reasons and
    notes, and its removal requests (link, reason, contact, note)."""
    await session.execute(update(Decision).where(Decision.photo_id == photo_id).values(reason=None))
    await audit.redact(session, photo_id)
    await session.execute(
        update(RemovalRequest)
        .where(RemovalRequest.photo_id == photo_id)
        .values(photo_ref="", description="", reason="", contact=None, note=None)
    )
    await session.flush()


async def tell_hubs(session: AsyncSession, photo_id: str) -> None:
    """The event that makes each process forget its copies of the erased photo."""
    events.append(session, events.ERASED_EVENT, {"id": photo_id}, photo_id)


def delete_files_after_commit(store: MediaStore) -> AfterCommit:
    """A ``Database.after_commit`` hook: delete the files erased by the committed transaction.

    A crash before it runs leaves files no row references; the sweeper
    (``wall.housekeeping``) deletes those.
    """

    async def hook(session: AsyncSession) -> None:
        names = session.info.pop(FILES_KEY, None)
        if not names:
            return
        try:
            await anyio.to_thread.run_sync(store.delete, sorted(names))
        except OSError:
            log.exception("could not delete the files of an erased photo; the sweeper will")

    return hook
