"""Real rows for moderation tests: network photos through ``submit``, aged rows."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import select

from wall.config import Settings
from wall.db import Database
from wall.models import Base, Photo, utcnow
from wall.moderation import service


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = Database(settings.database_url, null_pool=True)
    try:
        yield db
    finally:
        await db.dispose()


def _media(name: str) -> dict[str, Any]:
    entry = {"name": name, "width": 1600, "height": 1200, "content_type": "image/jpeg"}
    return {"display": entry, "thumb": {**entry, "width": 400, "height": 300}}


async def network_photo(settings: Settings, **fields: Any) -> str:
    """A photo polled from a network, stored through ``service.submit`` (rules included)."""
    photo_id = secrets.token_urlsafe(16)
    now = utcnow()
    values: dict[str, Any] = {
        "id": photo_id,
        "source": "mastodon",
        "source_id": photo_id,
        "author_name": "École verte",
        "author_handle": "@ecole@mastodon.test",
        "caption": "Tout le monde en vert! #perséVERT2024",
        "posted_at": now,
        "submitted_at": now,
        "width": 1600,
        "height": 1200,
        "green_score": 0.4,
        "flags": [],
        "media": _media(secrets.token_hex(20) + ".jpg"),
        "pinned": False,
        "show_name": True,
    }
    values.update(fields)
    async with database(settings) as db, db.writing() as session:
        await service.submit(session, Photo(**values), [])
    return photo_id


async def photo_row(settings: Settings, photo_id: str) -> Photo:
    async with database(settings) as db, db.reading() as session:
        photo = await session.get(Photo, photo_id)
        assert photo is not None
        return photo


async def age(
    settings: Settings, model: type[Base], columns: tuple[str, ...], by: dt.timedelta, **where: Any
) -> int:
    """Move ``columns`` of the rows matching ``where`` ``by`` into the past; returns how many."""
    async with database(settings) as db, db.writing() as session:
        rows = (await session.scalars(select(model).filter_by(**where))).all()
        for row in rows:
            for column in columns:
                value = getattr(row, column)
                if value is not None:
                    setattr(row, column, value - by)
        return len(rows)


async def many_pending(
    settings: Settings, count: int, start: dt.datetime | None = None
) -> list[str]:
    """``count`` pending network photos in one transaction, oldest first, 1 s apart.

    By default the last one is a minute old; ``start`` sets the first's time.
    """
    start = start or utcnow() - dt.timedelta(seconds=count + 60)
    ids: list[str] = []
    async with database(settings) as db, db.writing() as session:
        for n in range(count):
            photo_id = secrets.token_urlsafe(16)
            moment = start + dt.timedelta(seconds=n)
            photo = Photo(
                id=photo_id,
                source="mastodon",
                source_id=photo_id,
                author_name=f"Classe {n}",
                author_handle=f"@classe{n}@mastodon.test",
                caption=f"Photo verte {n}",
                posted_at=moment,
                submitted_at=moment,
                width=1600,
                height=1200,
                green_score=0.4,
                flags=[],
                media=_media(secrets.token_hex(20) + ".jpg"),
                pinned=False,
                show_name=True,
            )
            await service.submit(session, photo, [])
            ids.append(photo_id)
    return ids
