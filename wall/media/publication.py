"""Keeps the public directory equal to the files the public may see.

A file is public while some approved photo references it as a public
derivative (``media_files.public``). The ``Publisher`` of each process makes
the public directory (``MediaStore.public_root``) follow that rule:

- **At start**, ``sync`` compares the whole directory with the database and
  links or unlinks the difference (a process that was down missed events).
- **On every ``photo.approved`` / ``photo.removed``** the hub hands out, from
  this process or another: for the process that wrote the decision, in the
  database's after-commit hook, before the moderator's request answers (so
  the app's own ``/media`` answers ``404`` from then on); for the others, as
  soon as their hub reads the event (``NOTIFY``, else the short poll).

Each event is applied by reading the photo's *current* state, not by trusting
the event, so events applied late or out of order cannot re-publish a removed
photo: a process that linked a file from a read made just before the removal
committed unlinks it again when it applies the removal itself. With several
processes sharing the directory the bound is the hub's delivery delay.

The process whose ``unlink`` took the file out asks the CDN to purge it
(``wall.media.cdn``); exactly one process succeeds at an unlink.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wall.background import let_finish
from wall.db import Database
from wall.events import EventHub, Subscription, WallEvent
from wall.media.store import MediaStore
from wall.models import MediaFile, Photo
from wall.moderation.states import Status

log = logging.getLogger(__name__)

PUBLICATION_EVENTS = frozenset({"photo.approved", "photo.removed"})
# How soon a failed update is retried by a full sync.
RETRY_SECONDS = 2.0

Unpublished = Callable[[list[str]], None]


async def public_names(session: AsyncSession, names: Iterable[str] | None = None) -> set[str]:
    """The names that must be public: public files of approved photos (among ``names``)."""
    query = (
        select(MediaFile.name)
        .join(Photo, Photo.id == MediaFile.photo_id)
        .where(Photo.status == Status.APPROVED.value, MediaFile.public.is_(True))
    )
    if names is not None:
        query = query.where(MediaFile.name.in_(list(names)))
    return set((await session.scalars(query)).all())


class Publisher:
    """Links and unlinks public files as photos are approved and removed."""

    def __init__(
        self,
        db: Database,
        hub: EventHub,
        store: MediaStore,
        on_unpublished: Unpublished | None = None,
    ) -> None:
        self.db, self.hub, self.store = db, hub, store
        self.on_unpublished = on_unpublished
        self._subscription: Subscription | None = None
        self._applying = asyncio.Lock()
        self._needs_sync = False
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Subscribe, bring the directory up to date, then follow the events.

        Call after ``hub.start()``: the hub's after-commit hook must hand a
        commit's events out before this one applies them.
        """
        self._subscription = self.hub.subscribe(PUBLICATION_EVENTS, stream=False)
        await self.sync()
        self.db.after_commit(self._committed)
        self._task = asyncio.create_task(self._run(), name="media-publisher")

    async def stop(self) -> None:
        self._stopping = True
        if self._subscription is not None:
            self._subscription.close()
        await let_finish(self._task)

    async def sync(self) -> tuple[int, int]:
        """Make the whole public directory match the database; (linked, unlinked)."""
        async with self._applying:
            async with self.db.reading() as session:
                wanted = await public_names(session)
            present = await anyio.to_thread.run_sync(self.store.published)
            linked = await anyio.to_thread.run_sync(self._publish, wanted - present)
            unlinked = await anyio.to_thread.run_sync(self._unpublish, present - wanted)
        self._unpublished(unlinked)
        if linked or unlinked:
            log.info("public media: %d linked, %d unlinked", len(linked), len(unlinked))
        return len(linked), len(unlinked)

    async def apply(self, events: list[WallEvent]) -> None:
        """Bring the files of these events' photos in line with their current state."""
        photo_ids = {event.photo_id for event in events if event.photo_id is not None}
        if not photo_ids:
            return
        async with self._applying:
            async with self.db.reading() as session:
                names = set(
                    (
                        await session.scalars(
                            select(MediaFile.name).where(MediaFile.photo_id.in_(photo_ids))
                        )
                    ).all()
                )
                wanted = await public_names(session, names) if names else set()
            if names:
                await anyio.to_thread.run_sync(self._publish, wanted)
                unlinked = await anyio.to_thread.run_sync(self._unpublish, names - wanted)
        if not names:
            # The photo rows are gone (purged): only a full comparison finds their files.
            await self.sync()
            return
        self._unpublished(unlinked)

    def _publish(self, names: Iterable[str]) -> list[str]:
        return [name for name in sorted(names) if self.store.publish(name)]

    def _unpublish(self, names: Iterable[str]) -> list[str]:
        return [name for name in sorted(names) if self.store.unpublish(name)]

    def _unpublished(self, names: list[str]) -> None:
        if names and self.on_unpublished is not None:
            self.on_unpublished(names)

    def _pending(self) -> tuple[list[WallEvent], bool]:
        """The events waiting in the queue, and whether the hub ended the subscription."""
        taken: list[WallEvent] = []
        subscription = self._subscription
        if subscription is None:
            return taken, True
        while not subscription.queue.empty():
            item = subscription.queue.get_nowait()
            if item is None:
                return taken, True
            taken.append(item)
        return taken, False

    async def _committed(self, _session: AsyncSession) -> None:
        """After this process's commits: apply what the hub just handed out."""
        pending, ended = self._pending()
        if ended and self._subscription is not None:
            self._subscription.queue.put_nowait(None)  # the loop re-subscribes
        try:
            if pending:
                await self.apply(pending)
            elif self._applying.locked():
                # The loop took this commit's events first (woken by NOTIFY or the
                # poll): the writer still answers only once they are applied.
                async with self._applying:
                    pass
        except Exception:
            # The writer's transaction has committed: its answer must not fail.
            log.exception("could not update the public media directory; syncing soon")
            self._needs_sync = True

    async def _run(self) -> None:
        while not self._stopping and self._subscription is not None:
            batch: list[WallEvent] = []
            ended = False
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(RETRY_SECONDS):
                    item = await self._subscription.queue.get()
                    batch, ended = self._pending()
                    if item is None:
                        ended = True
                    else:
                        batch.insert(0, item)
            if self._stopping:
                return
            if ended:
                # The hub dropped a queue that fell too far behind, or is shutting down.
                subscription = self.hub.subscribe(PUBLICATION_EVENTS, stream=False)
                if subscription.closed:
                    return
                self._subscription = subscription
                self._needs_sync = True
            try:
                if self._needs_sync:
                    self._needs_sync = False
                    await self.sync()  # covers the batch too: it reads the whole state
                elif batch:
                    await self.apply(batch)
            except Exception:
                log.exception("could not update the public media directory; syncing soon")
                self._needs_sync = True
