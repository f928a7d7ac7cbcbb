"""Upload tests: an app with chosen settings, and what it stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import func, select

from tests.live import running
from wall.app import create_app
from wall.config import Settings
from wall.db import Database
from wall.models import MediaFile, Photo


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client for an app built from ``settings``, lifespan running."""
    async with running(create_app(settings, null_pool=True)) as asgi:
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://wall.test") as http:
            yield http


@dataclass(frozen=True)
class Stored:
    photos: int
    media_rows: int
    files: list[str]


def files_under(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


async def stored(settings: Settings) -> Stored:
    """What the database and the data directory hold (secret key file aside)."""
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            photos = await session.scalar(select(func.count()).select_from(Photo))
            rows = await session.scalar(select(func.count()).select_from(MediaFile))
    finally:
        await db.dispose()
    kept = [f for f in files_under(settings.data_path) if f not in ("secret_key", "wall.db")]
    return Stored(int(photos or 0), int(rows or 0), kept)


async def photo_row(settings: Settings, photo_id: str) -> Photo:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            photo = await session.get(Photo, photo_id)
    finally:
        await db.dispose()
    assert photo is not None
    return photo


async def public_names(settings: Settings, photo_id: str) -> set[str]:
    """The names of a photo's files that the public may see once it is approved."""
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            rows = await session.scalars(
                select(MediaFile.name).where(
                    MediaFile.photo_id == photo_id, MediaFile.public.is_(True)
                )
            )
            return set(rows.all())
    finally:
        await db.dispose()
