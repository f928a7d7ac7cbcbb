"""The end of the campaign: delete every photo, its files and what names a person.

Photos of minors are kept no longer than promised on the upload page
(``Settings.photos_kept_until``). ``purge`` deletes, in one transaction,
every photo row (tombstones included, with file rows, claims and source rows
by cascade), the removal requests (they hold contact details) and every
event row (they hold copies of captions and names) and the school invites
(class links end with the campaign); it pauses every source and erases their
stored credentials (no photo is collected after the campaign), and it redacts the moderators' free
text: decision reasons, and the reason and note of audit rows. The audit
log keeps who did what and when, by opaque ids. Screens still open are told
to drop what they show. Then the files go, and
``compact`` makes sure no byte of a deleted row is left in the database's
own files.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from wall import events
from wall.db import Database
from wall.media import MediaStore
from wall.models import (
    Base,
    Decision,
    Event,
    ManagedSource,
    MediaFile,
    Photo,
    RemovalRequest,
    SchoolInvite,
)
from wall.moderation import audit
from wall.moderation.states import Status

PURGE_MARK = events.PURGED_EVENT
# How long the SQLite checkpoint waits for the readers of a running server.
CHECKPOINT_DEADLINE_SECONDS = 60.0
CHECKPOINT_RETRY_SECONDS = 0.05


class CompactionError(Exception):
    """The database's files could not be rewritten; the rows are deleted all the same."""


@dataclass(frozen=True)
class PurgeReport:
    photos: int
    files: int
    removal_requests: int
    redacted: int


async def purge(db: Database, store: MediaStore, *, actor_label: str = "cli") -> PurgeReport:
    """Delete every photo and its files, redact free text, then compact the database.

    Raises ``CompactionError`` when the database's files could not be
    rewritten (the deletions are committed by then).
    """
    purge_xid: int | None = None
    async with db.writing() as session:
        if db.is_sqlite:
            # Deleted cells are overwritten with zeros, not merely marked free.
            await session.execute(text("PRAGMA secure_delete=ON"))
        else:
            purge_xid = int(await session.scalar(text("SELECT pg_current_xact_id()::text")) or 0)
        rows = (await session.execute(select(Photo.id, Photo.status))).all()
        names = set((await session.scalars(select(MediaFile.name))).all())
        requests = len((await session.scalars(select(RemovalRequest.id))).all())
        # The mark is written first and every older row deleted: the mark
        # keeps ids increasing (SQLite reuses max(id) + 1), and each process's
        # hub drops the same rows from its replay window when the mark reaches it.
        events.append(session, PURGE_MARK, {})
        (mark,) = await events.write_now(session)
        await session.execute(delete(Event).where(Event.id < mark.id))
        await session.execute(delete(RemovalRequest))
        await session.execute(delete(Photo))
        # Class upload links stop working with the campaign (they name a school
        # and the admin who made them).
        await session.execute(delete(SchoolInvite))
        # Nothing is collected after the campaign, and no network token outlives it.
        await session.execute(
            update(ManagedSource).values(
                paused=True, sealed_credentials=None, version=ManagedSource.version + 1
            )
        )
        reasons = select(func.count()).select_from(Decision).where(Decision.reason.is_not(None))
        redacted = int(await session.scalar(reasons) or 0)
        await session.execute(
            update(Decision).where(Decision.reason.is_not(None)).values(reason=None)
        )
        redacted += await audit.redact(session)
        await audit.record(
            session,
            PURGE_MARK,
            actor_label=actor_label,
            details={"photos": len(rows), "files": len(names), "removal_requests": requests},
        )
        for photo_id, status in rows:
            if status == Status.APPROVED:
                events.append(session, "photo.removed", {"id": photo_id}, photo_id)
    # Files go once no row can point at them any more.
    await anyio.to_thread.run_sync(store.delete, sorted(names))
    await compact(db, after_xid=purge_xid)
    return PurgeReport(
        photos=len(rows), files=len(names), removal_requests=requests, redacted=redacted
    )


async def compact(db: Database, *, after_xid: int | None = None) -> None:
    """Rewrite the database's files so that no byte of a deleted row stays in them.

    SQLite: checkpoint the write-ahead log into the database and truncate it,
    ``VACUUM``, then checkpoint and truncate again. It works beside a running
    ``wall serve``: its connections hold a read transaction only for the
    length of a query, and the checkpoint waits for them (up to
    ``CHECKPOINT_DEADLINE_SECONDS``). PostgreSQL: ``VACUUM FULL`` each table
    (a plain ``VACUUM`` leaves the bytes of dead rows in the pages it
    empties), once no transaction that began before ``after_xid`` (the
    purge's) is running: ``VACUUM FULL`` copies the rows such a transaction
    might still see.
    """
    if db.is_sqlite:
        path = make_url(db.url).database
        if path:
            await anyio.to_thread.run_sync(compact_sqlite, Path(path))
        return
    async with db.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        if after_xid is not None:
            await _wait_for_older_snapshots(autocommit, after_xid)
        for table in Base.metadata.sorted_tables:
            await autocommit.exec_driver_sql(f'VACUUM (FULL) "{table.name}"')


async def _wait_for_older_snapshots(connection: AsyncConnection, xid: int) -> None:
    """Wait until every transaction and snapshot that could see the rows ``xid`` deleted ends."""
    older = text(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint <= :xid"
        " OR EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
        " AND datname = current_database() AND backend_xmin IS NOT NULL"
        " AND age(backend_xmin) >= age(CAST(CAST(:short AS text) AS xid)))"
    )
    deadline = time.monotonic() + CHECKPOINT_DEADLINE_SECONDS
    while await connection.scalar(older, {"xid": xid, "short": str(xid % 2**32)}):
        if time.monotonic() > deadline:
            raise CompactionError(
                "a transaction older than the purge is still open; "
                f"after {CHECKPOINT_DEADLINE_SECONDS:.0f} s, run wall purge --force again"
            )
        await anyio.sleep(CHECKPOINT_RETRY_SECONDS)


def compact_sqlite(path: Path) -> None:
    connection = sqlite3.connect(path, timeout=CHECKPOINT_DEADLINE_SECONDS, isolation_level=None)
    try:
        connection.execute("PRAGMA secure_delete=ON")
        _checkpoint(connection, path)
        connection.execute("VACUUM")
        _checkpoint(connection, path)
    finally:
        connection.close()


def _checkpoint(connection: sqlite3.Connection, path: Path) -> None:
    """Copy the whole log into the database and truncate it to zero bytes."""
    deadline = time.monotonic() + CHECKPOINT_DEADLINE_SECONDS
    while True:
        busy, _log, _done = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy == 0:
            return
        if time.monotonic() > deadline:
            raise CompactionError(
                f"{path}-wal could not be emptied: a reader held the database for "
                f"{CHECKPOINT_DEADLINE_SECONDS:.0f} s; run wall purge --force again"
            )
        time.sleep(CHECKPOINT_RETRY_SECONDS)
