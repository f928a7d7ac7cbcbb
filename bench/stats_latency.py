"""Latency of the wall's stats at 300, 3,000 and 30,000 approved photos.

Prints figures; it is not a test. Run from the repository root:

    python bench/stats_latency.py [--runs 20] [--postgres URL | --no-postgres]

For each backend it fills a fresh database step by step (rows inserted
directly: approved photos spread over a 14-hour day, 17 regions and a fifth
without one, six sources, plus one pending or removed photo per ten approved)
and, at each size, reports the median of ``--runs`` calls of:

- baseline: the previous ``photos.stats``, copied below, which loaded every
  approved row into Python and counted there;
- now: ``wall.photos.stats``, two grouped SQL queries (source and region;
  UTC hour), each answered from an index.

Both run on the same pooled engine, in a read session as the app opens one,
after a warm-up call; they are checked to give the same answer. This is the
cost of a cache miss of ``GET /api/wall/stats`` (one per event and per
``WALL_ANSWER_CACHE_SECONDS``); hits are served from memory.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wall import migrations, photos
from wall.config import QUEBEC_REGIONS
from wall.db import Database
from wall.models import Photo
from wall.moderation.states import Status

SIZES = (300, 3_000, 30_000)
SOURCES = ("upload", "mastodon", "pixelfed", "bluesky", "instagram", "flickr")
DAY_START = dt.datetime(2024, 2, 15, 12, 0, tzinfo=dt.UTC)  # 07:00 in Québec
DAY = dt.timedelta(hours=14)
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


async def baseline_stats(session: AsyncSession) -> dict[str, Any]:
    """``wall.photos.stats`` before it counted in SQL (verbatim but for the name)."""
    rows = (
        await session.execute(
            select(Photo.source, Photo.region, Photo.approved_at).where(
                Photo.status == Status.APPROVED.value
            )
        )
    ).all()
    by_source: Counter[str] = Counter()
    by_region: Counter[str] = Counter()
    by_hour: Counter[dt.datetime] = Counter()
    for source, region, approved_at in rows:
        by_source[source] += 1
        if region:
            by_region[region] += 1
        if approved_at is not None:
            by_hour[approved_at.replace(minute=0, second=0, microsecond=0)] += 1
    return {
        "approved": len(rows),
        "by_source": dict(by_source),
        "by_region": dict(by_region),
        "timeline": [{"t": photos.iso(hour), "n": n} for hour, n in sorted(by_hour.items())],
    }


def _rows(first: int, last: int, total: int) -> list[dict[str, Any]]:
    """Approved photos ``first``..``last - 1`` of a day of ``total``, and some others."""
    rows = []
    for n in range(first, last):
        approved_at = DAY_START + DAY * n / total
        for status in ["approved"] + (["pending" if n % 20 else "removed"] if n % 10 == 0 else []):
            photo_id = secrets.token_urlsafe(16)
            rows.append(
                {
                    "id": photo_id,
                    "source": SOURCES[n % len(SOURCES)],
                    "source_id": photo_id,
                    "show_name": True,
                    "caption": f"Photo {n} en vert",
                    "region": None if n % 5 == 0 else QUEBEC_REGIONS[n % len(QUEBEC_REGIONS)],
                    "status": status,
                    "pinned": False,
                    "posted_at": approved_at - dt.timedelta(minutes=3),
                    "submitted_at": approved_at - dt.timedelta(minutes=3),
                    "decided_at": approved_at if status != "pending" else None,
                    "approved_at": approved_at if status != "pending" else None,
                    "width": 1600,
                    "height": 1200,
                    "flags": [],
                    "media": {"display": {"name": f"{photo_id}.jpg"}},
                }
            )
    return rows


async def grow(db: Database, have: int, want: int) -> None:
    """Add approved photos up to ``want``; the day's span stays the same."""
    rows = _rows(have, want, SIZES[-1])
    async with db.writing() as session:
        for start in range(0, len(rows), 5000):
            await session.execute(insert(Photo), rows[start : start + 5000])
    if not db.is_sqlite:
        async with db.engine.connect() as connection:
            await connection.execute(text("COMMIT"))
            # As autovacuum leaves a busy table: statistics, and a visibility map
            # that lets the (status, source, region) index answer alone.
            await connection.execute(text("VACUUM ANALYZE photos"))


async def median_ms(
    db: Database, runs: int, stats: Callable[[AsyncSession], Awaitable[dict[str, Any]]]
) -> tuple[float, dict[str, Any]]:
    async with db.reading() as session:
        answer = await stats(session)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        async with db.reading() as session:
            await stats(session)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), answer


async def measure(name: str, url: str, runs: int) -> None:
    db = Database(url)  # pooled, like the app
    figures: dict[int, tuple[float, float]] = {}
    try:
        have = 0
        for size in SIZES:
            await grow(db, have, size)
            have = size
            before_ms, before = await median_ms(db, runs, baseline_stats)
            now_ms, now = await median_ms(db, runs, photos.stats)
            assert now["approved"] == before["approved"] == size
            assert now == before, "the SQL stats differ from the baseline"
            figures[size] = (before_ms, now_ms)
    finally:
        await db.dispose()
    print(f"{name}: median of {runs} calls, milliseconds")
    print(f"  {'approved':>8}  {'baseline':>9}  {'now':>7}  {'baseline/now':>12}")
    for size, (before_ms, now_ms) in figures.items():
        print(f"  {size:>8,}  {before_ms:9.2f}  {now_ms:7.2f}  {before_ms / now_ms:11.1f}x")
    small, large = figures[SIZES[0]], figures[SIZES[-1]]
    print(
        f"  {SIZES[-1]:,}/{SIZES[0]:,} ratio: baseline {large[0] / small[0]:.1f}x,"
        f" now {large[1] / small[1]:.1f}x"
    )


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    target = make_url(url).set(drivername="postgresql")
    connection = await asyncpg.connect(target.render_as_string(hide_password=False), timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--postgres", default=os.environ.get("WALL_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        migrations.upgrade(url)  # runs its own event loop
        asyncio.run(measure("SQLite", url, args.runs))
    if args.no_postgres:
        return
    name = f"wall_bench_stats_{os.getpid()}"
    try:
        asyncio.run(_admin(args.postgres, f'CREATE DATABASE "{name}"'))
    except (OSError, ConnectionError) as exc:
        print(f"PostgreSQL skipped: {exc}")
        return
    pg = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
    try:
        migrations.upgrade(pg)
        asyncio.run(measure("PostgreSQL", pg, args.runs))
    finally:
        asyncio.run(_admin(args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
