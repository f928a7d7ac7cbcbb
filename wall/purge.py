"""The end of the campaign: delete every photo, its files and what names a person.

Photos of minors are kept no longer than promised on the upload page
(``Settings.photos_kept_until``). ``purge`` deletes every photo row (with its
file rows, claims and source rows, by cascade), the files, the removal
requests (they hold contact details), and the event rows (they hold copies of
captions and names) but the newest, emptied; screens still open are told to
drop what they show. The
audit trail stays: it names photos only by their opaque ids.
"""

from __future__ import annotations

from dataclasses import dataclass

import anyio.to_thread
from sqlalchemy import delete, func, select, update

from wall import events
from wall.db import Database
from wall.media import MediaStore
from wall.models import Event, MediaFile, Photo, RemovalRequest
from wall.moderation import audit
from wall.moderation.states import Status

PURGE_MARK = "campaign.purged"


@dataclass(frozen=True)
class PurgeReport:
    photos: int
    files: int
    removal_requests: int


async def purge(db: Database, store: MediaStore, *, actor_label: str = "cli") -> PurgeReport:
    """Delete every photo and its files; returns what was deleted."""
    async with db.writing() as session:
        rows = (await session.execute(select(Photo.id, Photo.status))).all()
        names = set((await session.scalars(select(MediaFile.name))).all())
        requests = len((await session.scalars(select(RemovalRequest.id))).all())
        # Event rows hold copies of captions and names. The newest row stays,
        # emptied, so that ids keep increasing (SQLite reuses max(id) + 1).
        last_id = await session.scalar(select(func.max(Event.id)))
        if last_id is not None:
            await session.execute(delete(Event).where(Event.id < last_id))
            await session.execute(
                update(Event)
                .where(Event.id == last_id)
                .values(type=PURGE_MARK, data={}, photo_id=None)
            )
        await session.execute(delete(RemovalRequest))
        await session.execute(delete(Photo))
        for photo_id, status in rows:
            if status == Status.APPROVED:
                await events.append(session, "photo.removed", {"id": photo_id}, photo_id)
        await audit.record(
            session,
            PURGE_MARK,
            actor_label=actor_label,
            details={"photos": len(rows), "files": len(names), "removal_requests": requests},
        )
    # Files go once no row can point at them any more.
    await anyio.to_thread.run_sync(store.delete, sorted(names))
    return PurgeReport(photos=len(rows), files=len(names), removal_requests=requests)
