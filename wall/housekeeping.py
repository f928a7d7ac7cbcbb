"""Housekeeping: delete stored files no photo references, stale upload spools,
and audit rows older than the privacy policy says they are kept.

Files are written before their database row is committed, so a crash in
between leaves files without a row. ``sweep`` removes them once they are old
enough that no upload in progress can still be about to reference them. The
app sweeps when it starts (so on every ``wall serve``) and then periodically.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from pathlib import Path

import anyio.to_thread
from sqlalchemy import select

from wall.background import let_finish
from wall.db import Database
from wall.media import MediaStore
from wall.media.store import remove_stale_files
from wall.models import MediaFile, utcnow
from wall.moderation import audit
from wall.uploads import SPOOL_PREFIX

# Far longer than any upload takes between writing its files and committing
# (the default of WALL_SWEEP_AFTER_SECONDS).
ORPHAN_AGE_SECONDS = 3600.0
SWEEP_EVERY_SECONDS = 3600.0

log = logging.getLogger(__name__)


async def sweep(
    db: Database, store: MediaStore, spool_dir: Path, older_than: float = ORPHAN_AGE_SECONDS
) -> int:
    """Delete orphan media files and upload spools older than ``older_than`` seconds."""
    async with db.reading() as session:
        known = set((await session.scalars(select(MediaFile.name))).all())
    removed = await anyio.to_thread.run_sync(store.sweep_orphans, known, older_than)
    removed += await anyio.to_thread.run_sync(sweep_spools, spool_dir, older_than)
    return removed


def sweep_spools(spool_dir: Path, older_than: float) -> int:
    """Temporary copies of uploads left by a process that died mid-upload."""
    return remove_stale_files(spool_dir, older_than, lambda name: not name.startswith(SPOOL_PREFIX))


class Sweeper:
    """Runs ``sweep`` at start, then every ``every`` seconds until stopped."""

    def __init__(
        self,
        db: Database,
        store: MediaStore,
        spool_dir: Path,
        every: float = SWEEP_EVERY_SECONDS,
        older_than: float = ORPHAN_AGE_SECONDS,
        audit_kept: dt.timedelta | None = None,
    ) -> None:
        self.db, self.store, self.spool_dir, self.every = db, store, spool_dir, every
        self.older_than = older_than
        self.audit_kept = audit_kept
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._sweep_once()
        self._task = asyncio.create_task(self._run(), name="media-sweeper")

    async def stop(self) -> None:
        self._stopping.set()
        await let_finish(self._task)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.every):
                    await self._stopping.wait()
            if not self._stopping.is_set():
                await self._sweep_once()

    async def _sweep_once(self) -> None:
        try:
            removed = await sweep(self.db, self.store, self.spool_dir, self.older_than)
        except Exception:
            # A database hiccup must not stop the site; the next round retries.
            log.exception("media sweep failed")
            return
        if removed:
            log.info("media sweep removed %d orphan files", removed)
        if self.audit_kept is not None:
            await self._prune_audit(self.audit_kept)

    async def _prune_audit(self, kept: dt.timedelta) -> None:
        try:
            async with self.db.writing() as session:
                pruned = await audit.prune(session, utcnow() - kept)
        except Exception:
            log.exception("audit log pruning failed")
            return
        if pruned:
            log.info("pruned %d audit rows older than %d days", pruned, kept.days)
