"""A school invite's cap holds under real parallel class uploads, on both databases.

Real ``wall serve`` processes (two workers: two event loops, two connection
pools) receive every batch at once; the cap is checked and the slots written
in one transaction under the invite's row lock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.factories import class_files, school_invite
from tests.processes import WallProcess, wall_environment
from wall import school_invites, upload_quota
from wall.config import Settings
from wall.db import Database
from wall.errors import Forbidden, TooManyRequests
from wall.models import Photo, UploadSlot, utcnow
from wall.school_invites import invite_client
from wall.upload_quota import SLOT_TTL

SECRET = "serve-test-secret"


async def _parallel_batches(
    url: str, token: str, batches: list[list[tuple[str, Any]]]
) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(batches), max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as http:
        start = asyncio.Event()

        async def one(files: list[tuple[str, Any]]) -> httpx.Response:
            await start.wait()
            return await http.post(
                f"/classe/{token}",
                data={"school_consent": "yes"},
                files=files,
                headers={"Accept": "application/json"},
            )

        tasks = [asyncio.create_task(one(files)) for files in batches]
        start.set()
        return list(await asyncio.gather(*tasks))


async def _counts(database_url: str, invite_id: int) -> tuple[int, int]:
    db = Database(database_url, null_pool=True)
    try:
        async with db.reading() as session:
            photos = await session.scalar(
                select(func.count())
                .select_from(Photo)
                .where(Photo.client_hash == invite_client(invite_id))
            )
            slots = await session.scalar(select(func.count()).select_from(UploadSlot))
    finally:
        await db.dispose()
    return int(photos or 0), int(slots or 0)


@pytest.mark.parametrize(
    ("batches", "per_batch", "cap", "accepted"), [(8, 3, 10, 3), (16, 1, 5, 5)]
)
async def test_parallel_class_uploads_never_pass_the_invite_cap(
    database_url: str, tmp_path: Path, batches: int, per_batch: int, cap: int, accepted: int
) -> None:
    settings = Settings(database_url=database_url, secret_key=SECRET)
    invite_id, token = await school_invite(settings, upload_limit=cap)
    env = wall_environment(
        WALL_DATABASE_URL=database_url,
        WALL_DATA_DIR=str(tmp_path / "data"),
        WALL_SECRET_KEY=SECRET,
        WALL_ADMIN_PASSWORD="un-mot-de-passe-long",
        # Per-address limits far below the batches: the invite's cap replaces them.
        WALL_MAX_PENDING_PER_CLIENT="1",
        WALL_UPLOAD_LIMIT_PER_HOUR="1",
        WALL_MAX_CONCURRENT_UPLOADS="0",  # the database rule alone is under test
    )
    # Each batch its own photos: no batch is a resend of another.
    files = class_files(batches * per_batch, size=(220, 220))
    groups = [files[n * per_batch : (n + 1) * per_batch] for n in range(batches)]
    with WallProcess(env, tmp_path, workers=2) as server:
        answers = await _parallel_batches(server.url, token, groups)
    outcomes = Counter((a.status_code, a.json().get("error", "")) for a in answers)
    assert outcomes == {(201, ""): accepted, (429, "invite_limit_reached"): batches - accepted}
    assert await _counts(database_url, invite_id) == (accepted * per_batch, 0)


async def _leave_slot(settings: Settings, client: str, age: dt.timedelta) -> None:
    """A slot as a process killed mid-batch leaves it."""
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.writing() as session:
            session.add(UploadSlot(client_hash=client, reserved_at=utcnow() - age))
    finally:
        await db.dispose()


async def test_a_reservation_checks_the_invite_again_under_its_lock(settings: Settings) -> None:
    """Revoked between the page's lookup and the reservation: refused, no slot written."""
    invite_id, _ = await school_invite(settings)
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.writing() as session:
            await school_invites.revoke(session, invite_id)
        with pytest.raises(Forbidden) as refused:
            await upload_quota.reserve_for_invite(db, invite_id, invite_client(invite_id), 1)
        assert refused.value.code == "invite_revoked"
    finally:
        await db.dispose()
    assert await _counts(settings.database_url, invite_id) == (0, 0)


async def test_slots_left_by_a_crash_count_until_they_expire(settings: Settings) -> None:
    invite_id, _ = await school_invite(settings, upload_limit=3)
    client = invite_client(invite_id)
    await _leave_slot(settings, client, dt.timedelta(minutes=1))
    await _leave_slot(settings, client, SLOT_TTL + dt.timedelta(minutes=1))
    db = Database(settings.database_url, null_pool=True)
    try:
        # The live slot counts, the stale one is dropped: 2 of 3 left.
        with pytest.raises(TooManyRequests):
            await upload_quota.reserve_for_invite(db, invite_id, client, 3)
        slots = await upload_quota.reserve_for_invite(db, invite_id, client, 2)
        assert len(slots) == 2
        await upload_quota.release_many(db, slots)
    finally:
        await db.dispose()
    assert await _counts(settings.database_url, invite_id) == (0, 1)
