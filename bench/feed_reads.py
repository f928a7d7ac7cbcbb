"""How many feed reads a second one wall process serves to a crowd of screens.

Thousands of screens read ``/api/wall/photos`` when they open (and after a
``reset``). This fills a SQLite database with approved photos, serves the
wall with uvicorn on 127.0.0.1, and reports, in the same run:

- baseline: the uncached work of one feed answer (the page query, the count
  and the JSON), called in a loop without HTTP;
- the feed over real HTTP from ``--clients`` concurrent clients, which the
  answer cache serves from memory while no event happens;
- the same while a photo is approved every ``--churn`` seconds, so the cache
  keeps being dropped and rebuilt.

    PYTHONPATH=. python bench/feed_reads.py [--photos 500] [--clients 50] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from tests.factories import ADMIN_EMAIL, ADMIN_PASSWORD, add_moderator, jpeg_bytes
from tests.live import LiveServer
from wall import migrations, photos
from wall.app import create_app
from wall.config import Settings
from wall.db import Database
from wall.moderation.states import Status


async def _fill(base_url: str, settings: Settings, count: int) -> tuple[httpx.AsyncClient, str]:
    await add_moderator(settings)
    moderator = httpx.AsyncClient(base_url=base_url, timeout=30)
    login = await moderator.post(
        "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    csrf = login.json()["csrf_token"]
    image = jpeg_bytes((640, 480))
    for index in range(count):
        await _approve_one(base_url, moderator, csrf, image, index)
    return moderator, csrf


async def _approve_one(
    base_url: str, moderator: httpx.AsyncClient, csrf: str, image: bytes, index: int
) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as visitor:
        sent = await visitor.post(
            "/upload",
            data={
                "consent": "yes",
                "everyone_agrees": "yes",
                "age_confirmation": "14_or_older",
                "caption": f"Photo verte n° {index}",
            },
            files={"photo": ("v.jpg", image, "image/jpeg")},
            headers={"Accept": "application/json"},
        )
    photo_id = sent.json()["id"]
    await moderator.post(
        f"/api/moderation/photos/{photo_id}/decision",
        json={"action": "approve"},
        headers={"X-CSRF-Token": csrf},
    )


async def _baseline(settings: Settings, seconds: float) -> float:
    db = Database(settings.database_url)
    done = 0
    deadline = time.perf_counter() + seconds
    try:
        while time.perf_counter() < deadline:
            async with db.reading() as session:
                rows, _ = await photos.page_by_status(session, Status.APPROVED, 50, None)
                await photos.count_by_status(session, Status.APPROVED)
                [photos.photo_json(photo) for photo in rows]
            done += 1
    finally:
        await db.dispose()
    return done / seconds


async def _crowd(base_url: str, clients: int, seconds: float) -> tuple[float, float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def one_client() -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.get("/api/wall/photos?limit=50")
                response.raise_for_status()
                latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(one_client() for _ in range(clients)))
    return len(latencies) / seconds, statistics.median(latencies) * 1000


async def main(args: argparse.Namespace, tmp: str, url: str) -> None:
    settings = Settings.from_env(
        {
            "WALL_DATABASE_URL": url,
            "WALL_DATA_DIR": tmp,
            "WALL_SECRET_KEY": "bench" * 8,
            "WALL_UPLOAD_LIMIT_PER_HOUR": "0",
            "WALL_MAX_PENDING_PER_CLIENT": "0",
            # Uploads close by the promised deletion date; the default event is in 2024.
            "WALL_KEEP_UNTIL": "2099-12-31",
        }
    )
    server = LiveServer(create_app(settings))
    server.start()
    try:
        moderator, csrf = await _fill(server.url, settings, args.photos)
        baseline = await _baseline(settings, args.seconds)
        cached_rate, cached_median = await _crowd(server.url, args.clients, args.seconds)

        async def churn() -> None:
            image = jpeg_bytes((640, 480))
            index = args.photos
            while True:
                await asyncio.sleep(args.churn)
                index += 1
                await _approve_one(server.url, moderator, csrf, image, index)

        churner = asyncio.create_task(churn())
        churn_rate, churn_median = await _crowd(server.url, args.clients, args.seconds)
        churner.cancel()
        await moderator.aclose()
    finally:
        server.stop()
    print(
        f"{args.photos} approved photos, first page of 50, {args.clients} concurrent clients,"
        f" {args.seconds:.0f} s each"
    )
    print(f"  baseline: uncached feed work, no HTTP      {baseline:8.0f} answers/s")
    print(
        f"  feed over HTTP, no change                  {cached_rate:8.0f} reads/s"
        f"  median {cached_median:6.1f} ms  ({cached_rate / baseline:.1f}x baseline)"
    )
    print(
        f"  feed over HTTP, an approval every {args.churn:.1f} s   {churn_rate:8.0f} reads/s"
        f"  median {churn_median:6.1f} ms  ({churn_rate / baseline:.1f}x baseline)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=300)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--churn", type=float, default=1.0)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'wall.db'}"
        migrations.upgrade(url)  # runs its own event loop
        asyncio.run(main(parser.parse_args(), tmp, url))
