"""What does one near-duplicate check cost as the wall fills up?

Stores N photos with random pHashes (a few hundred of them re-encoded copies
of others, 1 to 7 bits apart) in a fresh database built by the migrations,
then times, per new photo:

- **every hash**: read every stored hash and compare each (what ingest did
  for each page of posts before the one rule);
- **500 newest**: read the 500 newest hashes (what the rules did; it misses
  copies of older photos);
- **bands**: the indexed lookup on the four 16-bit bands
  (``wall.moderation.rules.duplicate_candidates``), then the whole compare.

It also counts the matches each finds, so the speed is not bought with misses.

    PYTHONPATH=. .venv/bin/python bench/near_duplicates.py [--photos 20000] [--lookups 200]
        [--database-url postgresql+asyncpg://...]   (default: SQLite in a temp dir)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select

from wall.db import Database
from wall.media.analysis import is_near_duplicate
from wall.models import Photo, phash_bands
from wall.moderation.rules import duplicate_candidates


def random_hash(rng: random.Random) -> str:
    return f"{rng.getrandbits(64):016x}"


def near(value: str, rng: random.Random) -> str:
    number = int(value, 16)
    for bit in rng.sample(range(64), rng.randint(1, 7)):
        number ^= 1 << bit
    return f"{number:016x}"


def rows(count: int, rng: random.Random) -> list[dict[str, object]]:
    start = dt.datetime(2024, 2, 8, tzinfo=dt.UTC)
    hashes: list[str] = []
    result = []
    for index in range(count):
        value = (
            near(rng.choice(hashes), rng) if hashes and rng.random() < 0.02 else random_hash(rng)
        )
        hashes.append(value)
        bands = phash_bands(value)
        moment = start + dt.timedelta(seconds=index)
        result.append(
            {
                "id": f"p{index:08d}",
                "source": "bench",
                "source_id": f"s{index}",
                "caption": "",
                "status": "pending",
                "posted_at": moment,
                "submitted_at": moment,
                "width": 1600,
                "height": 1200,
                "phash": value,
                "flags": [],
                "media": {},
                **{f"phash_band{i}": band for i, band in enumerate(bands)},
            }
        )
    return result


async def main(url: str, photos: int, lookups: int) -> None:
    rng = random.Random(2024)
    db = Database(url, null_pool=True)
    stored = rows(photos, rng)
    for first in range(0, len(stored), 2000):
        async with db.writing() as session:
            await session.execute(insert(Photo), stored[first : first + 2000])
    probes = [near(rng.choice(stored)["phash"], rng) for _ in range(lookups // 2)]  # type: ignore[arg-type]
    probes += [random_hash(rng) for _ in range(lookups - len(probes))]

    async def every(value: str) -> bool:
        async with db.reading() as session:
            hashes = (await session.scalars(select(Photo.phash))).all()
        return any(is_near_duplicate(value, other) for other in hashes if other)

    async def newest(value: str) -> bool:
        async with db.reading() as session:
            query = select(Photo.phash).order_by(Photo.submitted_at.desc()).limit(500)
            hashes = (await session.scalars(query)).all()
        return any(is_near_duplicate(value, other) for other in hashes if other)

    async def bands(value: str) -> bool:
        query = duplicate_candidates("new", value)
        assert query is not None
        async with db.reading() as session:
            hashes = (await session.scalars(query)).all()
        return any(is_near_duplicate(value, other) for other in hashes if other)

    print(
        f"{photos} photos, {lookups} lookups ({len(probes) // 2} near copies), {url.split(':')[0]}"
    )
    print(f"{'method':<12} {'median':>10} {'p90':>10} {'matches':>8} {'vs every':>9}")
    base = None
    for name, check in (("every hash", every), ("500 newest", newest), ("bands", bands)):
        times, found = [], 0
        for value in probes:
            began = time.perf_counter()
            found += await check(value)
            times.append(time.perf_counter() - began)
        median = statistics.median(times)
        base = base or median
        p90 = statistics.quantiles(times, n=10)[-1]
        figures = f"{median * 1000:>8.2f}ms {p90 * 1000:>8.2f}ms {found:>8}"
        print(f"{name:<12} {figures} {base / median:>8.1f}x")
    await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=20000)
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        subprocess.run(
            [sys.executable, "-m", "wall", "migrate"],
            check=True,
            env={"WALL_DATABASE_URL": url, "PATH": "", "WALL_DATA_DIR": tmp},
        )
        asyncio.run(main(url, args.photos, args.lookups))
