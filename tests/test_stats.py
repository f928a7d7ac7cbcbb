"""``GET /api/wall/stats``: counts by source, region and UTC hour, computed in SQL."""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import text

from wall.config import Settings
from wall.db import Database
from wall.models import Photo

TORONTO = zoneinfo.ZoneInfo("America/Toronto")
ST_JOHNS = zoneinfo.ZoneInfo("America/St_Johns")  # UTC-03:30
KOLKATA = zoneinfo.ZoneInfo("Asia/Kolkata")  # UTC+05:30


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def _photo(status: str, approved_at: dt.datetime | None, **fields: Any) -> Photo:
    photo_id = secrets.token_urlsafe(16)
    now = dt.datetime.now(dt.UTC)
    entry = {"name": f"{photo_id}.jpg", "width": 4, "height": 3, "content_type": "image/jpeg"}
    values: dict[str, Any] = {
        "id": photo_id,
        "source": "upload",
        "source_id": photo_id,
        "status": status,
        "posted_at": now,
        "submitted_at": now,
        "decided_at": approved_at,
        "approved_at": approved_at,
        "width": 4,
        "height": 3,
        "media": {"display": entry, "thumb": entry},
    }
    values.update(fields)
    return Photo(**values)


# (status, approved_at, source, region): every moment is approved_at as stored.
ROWS: list[tuple[str, dt.datetime | None, str, str | None]] = [
    # The last microsecond of a UTC day and the first of the next: two buckets.
    ("approved", _utc("2024-02-15 23:59:59.999999"), "upload", "Estrie"),
    ("approved", _utc("2024-02-16 00:00:00"), "upload", "Estrie"),
    # Both ends of one UTC hour, given in three zones.
    ("approved", _utc("2024-02-15 14:00:00"), "mastodon", "Montréal"),
    ("approved", dt.datetime(2024, 2, 15, 10, 59, 59, tzinfo=ST_JOHNS), "upload", "Laval"),
    ("approved", dt.datetime(2024, 2, 15, 19, 45, tzinfo=KOLKATA), "pixelfed", None),
    # Toronto springs forward at 02:00 local on 2024-03-10: 01:59 EST and 03:00 EDT
    # are one minute apart and in two UTC hours (06:59Z and 07:00Z).
    ("approved", dt.datetime(2024, 3, 10, 1, 59, tzinfo=TORONTO), "upload", "Montréal"),
    ("approved", dt.datetime(2024, 3, 10, 3, 0, tzinfo=TORONTO), "upload", ""),
    # Toronto falls back on 2024-11-03: 01:30 happens twice, an hour apart in UTC.
    ("approved", dt.datetime(2024, 11, 3, 1, 30, tzinfo=TORONTO, fold=0), "bluesky", "Laval"),
    ("approved", dt.datetime(2024, 11, 3, 1, 30, tzinfo=TORONTO, fold=1), "bluesky", "Laval"),
    # Approved without a moment (counted, not on the timeline).
    ("approved", None, "flickr", "Estrie"),
    # Not on the wall: counted nowhere.
    ("pending", None, "upload", "Estrie"),
    ("removed", _utc("2024-02-15 14:30:00"), "upload", "Estrie"),
    ("rejected", None, "mastodon", "Laval"),
]

EXPECTED = {
    "approved": 10,
    "by_source": {"bluesky": 2, "flickr": 1, "mastodon": 1, "pixelfed": 1, "upload": 5},
    "by_region": {"Estrie": 3, "Laval": 3, "Montréal": 2},
    "timeline": [
        {"t": "2024-02-15T14:00:00Z", "n": 3},
        {"t": "2024-02-15T23:00:00Z", "n": 1},
        {"t": "2024-02-16T00:00:00Z", "n": 1},
        {"t": "2024-03-10T06:00:00Z", "n": 1},
        {"t": "2024-03-10T07:00:00Z", "n": 1},
        {"t": "2024-11-03T05:00:00Z", "n": 1},
        {"t": "2024-11-03T06:00:00Z", "n": 1},
    ],
    # The wall's wave: quarter-hours, the same in UTC and in every zone's local time.
    "quarter_hours": [
        {"t": "2024-02-15T14:00:00Z", "n": 1},
        {"t": "2024-02-15T14:15:00Z", "n": 2},
        {"t": "2024-02-15T23:45:00Z", "n": 1},
        {"t": "2024-02-16T00:00:00Z", "n": 1},
        {"t": "2024-03-10T06:45:00Z", "n": 1},
        {"t": "2024-03-10T07:00:00Z", "n": 1},
        {"t": "2024-11-03T05:30:00Z", "n": 1},
        {"t": "2024-11-03T06:30:00Z", "n": 1},
    ],
}


@asynccontextmanager
async def _session_time_zone(db: Database, zone: str) -> AsyncIterator[None]:
    """New PostgreSQL sessions on this database use ``zone``: hours of a half-hour
    zone differ from UTC hours, so a bucket taken in the session's zone shows."""
    if db.is_sqlite:
        yield
        return
    async with db.engine.connect() as connection:
        name = (await connection.execute(text("SELECT current_database()"))).scalar_one()
        await connection.commit()
    autocommit = db.engine.execution_options(isolation_level="AUTOCOMMIT")
    async with autocommit.connect() as connection:
        await connection.execute(text(f"ALTER DATABASE \"{name}\" SET timezone TO '{zone}'"))
    try:
        yield
    finally:
        async with autocommit.connect() as connection:
            await connection.execute(text(f'ALTER DATABASE "{name}" RESET timezone'))


async def test_stats_count_by_source_region_and_utc_hour(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.writing() as session:
            for status, approved_at, source, region in ROWS:
                session.add(_photo(status, approved_at, source=source, region=region))
        async with _session_time_zone(db, "America/St_Johns"):
            if not db.is_sqlite:
                async with db.reading() as session:
                    zone = (await session.execute(text("SHOW timezone"))).scalar_one()
                assert zone == "America/St_Johns"
            response = await client.get("/api/wall/stats")
    finally:
        await db.dispose()
    assert response.status_code == 200
    assert response.json() == EXPECTED
    # Keys come out sorted, so the same counts always give the same bytes.
    by_source: dict[str, int] = EXPECTED["by_source"]  # type: ignore[assignment]
    assert list(response.json()["by_source"]) == sorted(by_source)


async def test_stats_of_an_empty_wall(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/wall/stats")
    assert response.json() == {
        "approved": 0,
        "by_source": {},
        "by_region": {},
        "timeline": [],
        "quarter_hours": [],
    }
