"""Many approved photos at once for the wall's browser tests: real JPEGs, real rows.

Uploading and approving 600 photos through HTTP takes minutes; these rows are
what those requests leave behind (a photo row, its media rows, the stored and
published files), written directly. Photos whose arrival the test watches go
through ``wall.moderation.service.decide`` instead, which writes the events.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import io
import secrets
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from PIL import Image, ImageDraw

from wall.config import Settings
from wall.db import Database
from wall.media import MediaStore
from wall.models import MediaFile, Photo
from wall.moderation import service
from wall.moderation.states import Action

T = TypeVar("T")


def run(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` to its end from synchronous code, even where Playwright's own
    event loop runs (``asyncio.run`` refuses to start inside it): in a thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


# Shapes and greens, so that a screenshot looks like a wall and crops show.
SHAPES = [(640, 480), (480, 640), (800, 450), (600, 600), (720, 540), (450, 800)]
COLOURS = [(40, 170, 70), (20, 120, 50), (90, 200, 110), (230, 240, 230), (10, 80, 40)]


def picture(size: tuple[int, int], index: int) -> bytes:
    """A real JPEG that reads as a picture on a screenshot: a green gradient, a
    sun and a ribbon, placed differently for each ``index``."""
    width, height = size
    top = COLOURS[index % len(COLOURS)]
    bottom = COLOURS[(index + 2) % len(COLOURS)]
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        mix = y / height
        shade = tuple(round(a * (1 - mix) + b * mix) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (width, y)], fill=shade)
    radius = min(size) // (4 + index % 3)
    cx, cy = (width * (2 + index % 5)) // 8, height // (3 + index % 2)
    draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=(250, 250, 235))
    ribbon = [(0, height * 0.75), (width * 0.4, height * 0.55), (width, height * 0.8)]
    draw.line(ribbon, fill=(27, 138, 58), width=max(8, height // 12), joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _images(store: MediaStore, count: int) -> list[dict[str, Any]]:
    media = []
    for index in range(count):
        size = SHAPES[index % len(SHAPES)]
        data = picture(size, index)
        name = store.write(data, "jpg")
        store.publish(name)
        entry = {"name": name, "width": size[0], "height": size[1], "content_type": "image/jpeg"}
        media.append({"display": entry, "thumb": entry})
    return media


async def add_photos(
    settings: Settings,
    count: int,
    *,
    status: str = "approved",
    regions: Sequence[str | None] = (None,),
    source: str = "upload",
    school: str | None = None,
    pinned: int = 0,
    approved_at: dt.datetime | None = None,
    distinct_images: int = 12,
    consent_school_wall: bool = False,
    consent_embed: bool = False,
) -> list[str]:
    """``count`` photos in ``status``, cycling through ``regions``; their ids, newest last."""
    store = MediaStore(settings.media_path)
    images = _images(store, min(count, distinct_images))
    start = approved_at or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)
    ids: list[str] = []
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.writing() as session:
            for index in range(count):
                photo_id = secrets.token_urlsafe(16)
                media = images[index % len(images)]
                moment = start + dt.timedelta(seconds=index)
                session.add(
                    Photo(
                        id=photo_id,
                        source=source,
                        source_id=photo_id,
                        author_name=f"Élève {index + 1}",
                        caption=f"Vague verte numéro {index + 1}",
                        region=regions[index % len(regions)],
                        school=school,
                        consent_school_wall=consent_school_wall,
                        consent_embed=consent_embed,
                        status=status,
                        pinned=index < pinned,
                        posted_at=moment,
                        submitted_at=moment,
                        decided_at=moment if status == "approved" else None,
                        approved_at=moment if status == "approved" else None,
                        width=media["display"]["width"],
                        height=media["display"]["height"],
                        placeholder="#1b8a3a",
                        media=media,
                    )
                )
                await session.flush()
                session.add(
                    MediaFile(
                        name=media["display"]["name"],
                        photo_id=photo_id,
                        kind="display",
                        public=True,
                    )
                )
                ids.append(photo_id)
    finally:
        await db.dispose()
    return ids


async def decide_all(
    settings: Settings, ids: Sequence[str], action: Action, per_transaction: int = 1
) -> None:
    """Apply ``action`` to each photo in turn, as a moderator would (events included);
    ``per_transaction`` decisions share a commit, as in a moderator's bulk action."""
    db = Database(settings.database_url, null_pool=True)
    try:
        for start in range(0, len(ids), per_transaction):
            async with db.writing() as session:
                for photo_id in ids[start : start + per_transaction]:
                    await service.decide(session, photo_id, action, rule="test")
    finally:
        await db.dispose()
