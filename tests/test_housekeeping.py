"""The sweep that removes files no photo references."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from tests.factories import upload
from tests.moderation.factories import age, database
from tests.web.conftest import serving, stored
from wall import housekeeping, uploads
from wall.config import Settings
from wall.db import Database
from wall.media import MediaStore
from wall.models import AuditEntry
from wall.moderation import audit

HOUR_AND_A_BIT = 3700


def aged(path: Path, data: bytes = b"x", seconds: float = HOUR_AND_A_BIT) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    past = time.time() - seconds
    os.utime(path, (past, past))
    return path


async def test_sweep_removes_old_orphans_and_spools_and_keeps_the_rest(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    assert (await upload(client)).status_code == 201
    media, spools = settings.media_path, uploads.spool_dir(settings)
    referenced = sorted(p.name for p in media.iterdir())
    for name in referenced:  # old, but a photo uses them
        aged(media / name, (media / name).read_bytes())
    old_orphan = aged(media / ("a" * 40 + ".jpg"))
    new_orphan = aged(media / ("b" * 40 + ".webp"), seconds=60)
    not_ours = aged(media / "notes.txt")
    old_spool = aged(spools / "upload-abc123")
    new_spool = aged(spools / "upload-def456", seconds=60)

    db = Database(settings.database_url, null_pool=True)
    try:
        removed = await housekeeping.sweep(db, MediaStore(media), spools)
    finally:
        await db.dispose()

    assert removed == 2
    assert not old_orphan.exists() and not old_spool.exists()
    assert new_orphan.exists() and new_spool.exists() and not_ours.exists()
    assert all((media / name).exists() for name in referenced)
    assert (await stored(settings)).photos == 1


async def test_the_app_sweeps_when_it_starts(settings: Settings) -> None:
    orphan = aged(settings.media_path / ("c" * 40 + ".jpg"))
    spool = aged(uploads.spool_dir(settings) / "upload-left-by-a-crash")
    async with serving(settings) as client:
        assert not orphan.exists() and not spool.exists()
        assert (await client.get("/healthz")).status_code == 200


async def test_the_sweep_age_is_a_setting(settings: Settings) -> None:
    """WALL_SWEEP_AFTER_SECONDS=30: a minute-old orphan goes, a ten-second-old one stays."""
    minute_old = aged(settings.media_path / ("d" * 40 + ".jpg"), seconds=60)
    minute_old_spool = aged(uploads.spool_dir(settings) / "upload-a-minute-ago", seconds=60)
    fresh = aged(settings.media_path / ("e" * 40 + ".jpg"), seconds=10)
    async with serving(settings.replace(sweep_after_seconds=30.0)):
        assert not minute_old.exists() and not minute_old_spool.exists()
        assert fresh.exists()


async def test_audit_rows_older_than_the_promised_days_are_pruned(settings: Settings) -> None:
    """WALL_AUDIT_KEEP_DAYS=30: a row of 31 days goes at the sweep, one of 29 days stays."""
    async with database(settings) as db, db.writing() as session:
        for target in ("old", "recent"):
            await audit.record(session, "moderator.added", actor_label="cli", target=target)
    assert await age(settings, AuditEntry, ("created_at",), dt.timedelta(days=31), target="old")
    assert await age(settings, AuditEntry, ("created_at",), dt.timedelta(days=29), target="recent")
    async with serving(settings.replace(audit_keep_days=30)):
        pass
    async with database(settings) as db, db.reading() as session:
        left = (await session.scalars(select(AuditEntry.target))).all()
    assert left == ["recent"]
