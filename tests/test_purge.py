"""After the campaign: every photo, file and personal detail goes; screens are told."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.factories import decide, sign_in, upload
from tests.live import LiveServer
from tests.sse import sse
from wall import school_invites
from wall.config import Settings
from wall.db import Database
from wall.media import MediaStore
from wall.models import AuditEntry, Event, MediaFile, Photo, RemovalRequest, SchoolInvite
from wall.notice import notice_lines
from wall.purge import purge

ROOT = Path(__file__).resolve().parent.parent


async def _count(db: Database, model: type[object]) -> int:
    async with db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_purge_deletes_photos_files_and_requests_and_tells_screens(
    live_server: LiveServer, settings: Settings
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        csrf = await sign_in(client, settings)
        shown = (await upload(client, caption="Élodie de Rimouski")).json()["id"]
        waiting = (await upload(client)).json()["id"]
        assert (await decide(client, csrf, shown, "approve")).status_code == 200
        request = await client.post(
            "/removal-request",
            data={
                "photo_ref": f"{live_server.url}/#photo-{shown}",
                "reason": "C'est ma fille",
                "contact": "parent@example.test",
            },
        )
        assert request.status_code == 201, request.text
        files = sorted((settings.media_path).iterdir())
        assert files

        db = Database(settings.database_url, null_pool=True)
        try:
            async with db.writing() as session:
                await school_invites.create(
                    session,
                    "k" * 32,
                    school="École des Vagues",
                    region=None,
                    days=30,
                    upload_limit=30,
                )
            assert await _count(db, SchoolInvite) == 1
            async with sse(live_server.url) as stream:
                report = await purge(db, MediaStore(settings.media_path))
                await client.get("/healthz")
                event = await stream.next_event(within=3)
            assert (event.event, event.data) == ("photo.removed", {"id": shown})
            assert (report.photos, report.removal_requests) == (2, 1)
            assert report.files >= 4
            assert await _count(db, Photo) == 0
            assert await _count(db, MediaFile) == 0
            assert await _count(db, RemovalRequest) == 0
            assert await _count(db, SchoolInvite) == 0  # class links end with the campaign
            async with db.reading() as session:
                kinds = set((await session.scalars(select(Event.type))).all())
                purged = await session.scalar(
                    select(AuditEntry).where(AuditEntry.action == "campaign.purged")
                )
            # No copy of a caption or a name is left in the event log.
            assert kinds == {"photo.removed", "campaign.purged"}
            assert purged is not None and purged.details["photos"] == 2
        finally:
            await db.dispose()
        assert [p for p in settings.media_path.iterdir() if not p.name.startswith(".")] == []
        assert (await client.get("/api/wall/photos")).json()["photos"] == []
        assert waiting  # the pending photo went too


def _purge_cli(settings: Settings, *args: str, keep_until: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WALL_")}
    env.update(
        PYTHONPATH=str(ROOT),
        WALL_DATABASE_URL=settings.database_url,
        WALL_DATA_DIR=settings.data_dir,
        WALL_KEEP_UNTIL=keep_until,
    )
    return subprocess.run(
        [sys.executable, "-m", "wall", "purge", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=ROOT,
    )


async def test_purge_command_waits_for_the_promised_date(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    assert (await upload(client)).status_code == 201
    # In a thread: the app runs on this event loop, and a loop blocked in the
    # middle of one of its reads would hold the SQLite log the purge empties.
    early = await asyncio.to_thread(_purge_cli, settings, keep_until="2999-12-31")
    assert early.returncode == 1
    assert "2999-12-31" in early.stderr and "--force" in early.stderr
    db = Database(settings.database_url, null_pool=True)
    try:
        assert await _count(db, Photo) == 1
        done = await asyncio.to_thread(_purge_cli, settings, keep_until="2024-03-15")
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("purged 1 photos")
        assert await _count(db, Photo) == 0
    finally:
        await db.dispose()


@pytest.mark.parametrize(
    ("day", "allowed"),
    [(dt.date(2024, 3, 15), False), (dt.date(2024, 3, 16), True), (dt.date(2024, 3, 17), True)],
)
def test_purge_runs_from_the_day_the_notice_promises(
    settings: Settings, day: dt.date, allowed: bool
) -> None:
    promised = dataclasses.replace(settings, keep_until=dt.date(2024, 3, 16))
    [french] = [line for line in notice_lines(promised, "fr") if "au plus tard" in line]
    assert "au plus tard le 16 mars 2024," in french
    [english] = [line for line in notice_lines(promised, "en") if "at the latest" in line]
    assert "by March 16, 2024 at the latest" in english
    assert promised.purge_allowed_on(day) is allowed


async def test_purge_command_runs_on_the_promised_day_without_force(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    assert (await upload(client)).status_code == 201
    today = dt.datetime.now(settings.timezone).date()  # the command's own "today"
    done = await asyncio.to_thread(_purge_cli, settings, keep_until=today.isoformat())
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("purged 1 photos")
