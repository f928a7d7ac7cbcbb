"""Upstream requests per minute for one source, with 1 and with 1,000 screens open.

A screen never calls a network: it reads the wall's feed and listens to its
Server-Sent Events. So the number of requests the wall sends to a network must
not grow with the number of screens. This runs the whole wall (uvicorn on
127.0.0.1, SQLite, the poller started by the lifespan from a real wall.toml)
against the test suite's fake Mastodon instance, which gains a post with one
image every few seconds, and counts the requests that instance receives during
a fixed window: first with 1 screen open, then with N screens (each one reads
``/api/wall/photos`` when it opens, then keeps an SSE connection and re-reads
the feed every ``--refresh`` seconds).

    PYTHONPATH=. /work/venv/bin/python bench/poller_requests.py \
        [--screens 1000] [--window 30] [--interval 5] [--post-every 5] [--refresh 60]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import resource
import tempfile
import time
from pathlib import Path

import httpx

from tests.fake_mastodon import FakeMastodon, FakeStatus, wall_env, write_wall_toml
from tests.live import LiveServer
from wall import migrations
from wall.app import create_app
from wall.config import Settings


class Screens:
    """N wall screens: one feed read when opened, an SSE stream, a feed re-read now and then."""

    def __init__(self, base_url: str, count: int, refresh: float) -> None:
        self.base_url = base_url
        self.count = count
        self.refresh = refresh
        self.feed_reads = 0
        self.events = 0
        self.connected = 0
        self.failed = 0
        self._tasks: list[asyncio.Task[None]] = []
        limits = httpx.Limits(max_connections=count * 2 + 10, max_keepalive_connections=count)
        self.client = httpx.AsyncClient(
            base_url=base_url, limits=limits, timeout=httpx.Timeout(30, read=None)
        )

    async def open(self, batch: int = 50) -> None:
        """Open the screens a batch at a time, as a school's screens would come on."""
        for start in range(0, self.count, batch):
            ready = [asyncio.Event() for _ in range(start, min(self.count, start + batch))]
            self._tasks += [
                asyncio.create_task(self._screen(start + i, event)) for i, event in enumerate(ready)
            ]
            async with asyncio.timeout(60):
                for event in ready:
                    await event.wait()
        if self.failed:
            raise RuntimeError(f"{self.failed} screens could not connect")

    async def _screen(self, number: int, ready: asyncio.Event) -> None:
        refresher: asyncio.Task[None] | None = None
        try:
            await self._read_feed()
            refresher = asyncio.create_task(self._refresh(number))
            async with self.client.stream("GET", "/api/wall/events") as response:
                response.raise_for_status()
                self.connected += 1
                ready.set()
                async for line in response.aiter_lines():
                    if line.startswith("event:"):
                        self.events += 1
        except (httpx.HTTPError, AssertionError):
            self.failed += 1
            ready.set()
        finally:
            if refresher is not None:
                refresher.cancel()

    async def _refresh(self, number: int) -> None:
        # Spread the re-reads over the period, as screens opened at different times would.
        await asyncio.sleep(self.refresh * (number / max(1, self.count)))
        while True:
            await self._read_feed()
            await asyncio.sleep(self.refresh)

    async def _read_feed(self) -> None:
        response = await self.client.get("/api/wall/photos", params={"limit": "50"})
        assert response.status_code == 200
        self.feed_reads += 1

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.client.aclose()


async def feed_posts(mastodon: FakeMastodon, every: float, first_id: int) -> None:
    for number in itertools.count(first_id):
        await asyncio.sleep(every)
        mastodon.add(FakeStatus(number, f"eleve{number}", "Encore du vert"), seeds=(number,))


async def measure(
    mastodon: FakeMastodon, wall_url: str, screens: int, window: float, refresh: float
) -> dict[str, float]:
    group = Screens(wall_url, screens, refresh)
    try:
        await group.open()
        before = len(mastodon.requests)
        posts_before = len(mastodon.statuses)
        reads_before = group.feed_reads
        started = time.monotonic()
        await asyncio.sleep(window)
        elapsed = time.monotonic() - started
        seen = mastodon.requests[before:]
        return {
            "screens": screens,
            "connected": group.connected,
            "api": sum(1 for s in seen if s.path.startswith("/api/")) * 60 / elapsed,
            "media": sum(1 for s in seen if s.path.startswith("/media/")) * 60 / elapsed,
            "feed_reads": (group.feed_reads - reads_before) * 60 / elapsed,
            "new_posts": len(mastodon.statuses) - posts_before,
        }
    finally:
        await group.close()


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="wall-bench-") as directory:
        root = Path(directory)
        mastodon = FakeMastodon().start()
        for number in range(1, 4):
            mastodon.add(FakeStatus(number, f"eleve{number}", "Du vert"), seeds=(number,))
        toml = write_wall_toml(
            root / "wall.toml",
            [
                {
                    "name": "fake-social",
                    "type": "mastodon",
                    "base_url": mastodon.url,
                    "interval": args.interval,
                }
            ],
        )
        url = f"sqlite+aiosqlite:///{root}/wall.db"
        settings = Settings.from_env(wall_env(url, root / "data", toml))
        await asyncio.to_thread(migrations.upgrade, url)  # Alembic runs its own event loop
        wall = LiveServer(create_app(settings))
        wall.start()
        poster = asyncio.create_task(feed_posts(mastodon, args.post_every, 100))
        try:
            print(
                f"one Mastodon source polled every {args.interval:g} s, a new post every "
                f"{args.post_every:g} s, screens re-read the feed every {args.refresh:g} s; "
                f"{args.window:g} s window each"
            )
            rows = [
                await measure(mastodon, wall.url, count, args.window, args.refresh)
                for count in (1, args.screens)
            ]
        finally:
            poster.cancel()
            wall.stop()
            mastodon.stop()
    print(
        f"{'screens':>8} {'connected':>9} {'upstream API/min':>17} {'upstream media/min':>19} "
        f"{'feed reads/min (wall)':>22} {'new posts in window':>20}"
    )
    for row in rows:
        print(
            f"{row['screens']:>8.0f} {row['connected']:>9.0f} {row['api']:>17.1f} "
            f"{row['media']:>19.1f} {row['feed_reads']:>22.0f} {row['new_posts']:>20.0f}"
        )
    one, many = rows
    print(
        f"upstream requests with {args.screens} screens: "
        f"{many['api'] + many['media']:.1f}/min vs {one['api'] + one['media']:.1f}/min with 1 "
        "(media requests follow new posts, one per image, not screens)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screens", type=int, default=1000)
    parser.add_argument("--window", type=float, default=30.0)
    parser.add_argument("--interval", type=int, default=5)
    parser.add_argument("--post-every", type=float, default=5.0)
    parser.add_argument("--refresh", type=float, default=60.0)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.screens * 4 + 256)), hard))
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
