"""Benchmark of the moderation queue with 10,000 pending and 50,000 decided photos.

Prints figures; it is not a test. Run from the repository root:

    python bench/moderation_queue.py [--runs 30] [--postgres URL | --no-postgres]

For each backend it fills a fresh database (rows inserted directly), then
reports medians of: the queue's first page through the real app (ASGI
transport, session cookie, the same JSON the page gets), a bare SELECT of the
same rows on the same engine, one decision through the app, and the peak-day
numbers (``/api/moderation/stats``).
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
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wall import auth, migrations
from wall.app import create_app
from wall.config import Settings
from wall.db import Database
from wall.models import Decision, Photo
from wall.moderation.rules import search_text

PENDING, DECIDED = 10_000, 50_000
PAGE = 50
EMAIL, PASSWORD = "bench@ecole.test", "mot-de-passe-de-banc"
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def _rows(now: dt.datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    photos: list[dict[str, Any]] = []
    decisions: list[dict[str, Any]] = []
    statuses = ["approved", "rejected", "removed"]
    for n in range(PENDING + DECIDED):
        photo_id = secrets.token_urlsafe(16)
        pending = n < PENDING
        submitted = now - dt.timedelta(seconds=(PENDING + DECIDED - n) * 3)
        status = "pending" if pending else statuses[n % 3]
        caption = f"Photo {n} en vert à l'école Sainte-Émilie #perséVERT2024"
        photos.append(
            {
                "id": photo_id,
                "source": "upload" if n % 4 == 0 else "mastodon",
                "source_id": photo_id,
                "author_name": f"Élève {n}",
                "author_handle": None if n % 4 == 0 else f"@eleve{n}@mastodon.test",
                "show_name": True,
                "caption": caption,
                "region": "Estrie",
                "status": status,
                "pinned": False,
                "posted_at": submitted,
                "submitted_at": submitted,
                "decided_at": None if pending else submitted + dt.timedelta(minutes=2),
                "approved_at": submitted + dt.timedelta(minutes=2)
                if status == "approved"
                else None,
                "width": 1600,
                "height": 1200,
                "green_score": 0.3,
                "flags": [],
                "media": {
                    kind: {"name": f"{secrets.token_hex(20)}.jpg", "width": 1600, "height": 1200}
                    for kind in ("display", "thumb")
                },
                "search_text": search_text(caption, None, f"Élève {n}"),
            }
        )
        if not pending:
            decisions.append(
                {
                    "photo_id": photo_id,
                    "moderator_id": None,
                    "rule": "bench",
                    "action": "approve" if status == "approved" else "reject",
                    "from_status": "pending",
                    "to_status": status,
                    "created_at": submitted + dt.timedelta(minutes=2),
                }
            )
    return photos, decisions


async def fill(url: str) -> None:
    db = Database(url, null_pool=True)
    try:
        now = dt.datetime.now(dt.UTC)
        photos, decisions = _rows(now)
        async with db.writing() as session:
            for start in range(0, len(photos), 5000):
                await session.execute(insert(Photo), photos[start : start + 5000])
            for start in range(0, len(decisions), 5000):
                await session.execute(insert(Decision), decisions[start : start + 5000])
            await auth.upsert_moderator(session, EMAIL, PASSWORD, "admin")
        if url.startswith("postgresql"):
            async with db.engine.connect() as connection:
                await connection.execute(text("COMMIT"))
                await connection.execute(text("ANALYZE"))
    finally:
        await db.dispose()


async def median_ms(runs: int, call: Callable[[], Awaitable[Any]]) -> float:
    await call()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


@asynccontextmanager
async def app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, null_pool=False)
    async with app.router.lifespan_context(app) as state:
        shared = dict(state or {})

        async def with_state(scope: Any, receive: Any, send: Any) -> None:
            await app({**scope, "state": dict(shared)}, receive, send)

        transport = httpx.ASGITransport(app=with_state)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.test") as client:
            yield client


async def measure(name: str, url: str, data_dir: Path, runs: int) -> None:
    start = time.perf_counter()
    await fill(url)
    filled = time.perf_counter() - start
    settings = Settings.from_env(
        {"WALL_DATABASE_URL": url, "WALL_DATA_DIR": str(data_dir), "WALL_SECRET_KEY": "bench"}
    )
    async with app_client(settings) as client:
        login = await client.post("/api/auth/login", json={"email": EMAIL, "password": PASSWORD})
        csrf = login.json()["csrf_token"]
        page_url = f"/api/moderation/photos?status=pending&limit={PAGE}"
        first = (await client.get(page_url)).json()
        assert len(first["photos"]) == PAGE and first["count"] == PENDING
        queue_ms = await median_ms(runs, lambda: client.get(page_url))
        search_ms = await median_ms(
            runs, lambda: client.get("/api/moderation/photos?status=approved&q=emilie&limit=50")
        )
        stats_ms = await median_ms(runs, lambda: client.get("/api/moderation/stats"))

        # Decide photos from the back of the queue, one per run, so the first page stays put.
        db = Database(url)  # pooled, like the app
        async with db.reading() as session:
            rows = await session.execute(
                text(
                    "SELECT id FROM photos WHERE status = 'pending' "
                    "ORDER BY submitted_at DESC LIMIT :n"
                ),
                {"n": runs + 1},
            )
            last_page = [row[0] for row in rows]
        ids = iter(last_page)

        async def one_decision() -> None:
            response = await client.post(
                f"/api/moderation/photos/{next(ids)}/decision",
                json={"action": "approve"},
                headers={"X-CSRF-Token": csrf},
            )
            assert response.status_code == 200, response.text

        decision_ms = await median_ms(runs, one_decision)

        bare = text(
            "SELECT * FROM photos WHERE status = 'pending' ORDER BY submitted_at, id LIMIT :n"
        )

        async def bare_select() -> None:
            async with db.reading() as session:
                rows = (await session.execute(bare, {"n": PAGE + 1})).all()
            assert len(rows) == PAGE + 1

        select_ms = await median_ms(runs, bare_select)
        await db.dispose()
    print(
        f"{name:<10} filled {PENDING:,} pending + {DECIDED:,} decided in {filled:.1f} s; "
        f"medians of {runs} runs:"
    )
    print(f"  queue first page ({PAGE}, via app)   {queue_ms:8.2f} ms")
    print(f"  bare SELECT of the same rows     {select_ms:8.2f} ms")
    print(f"  one decision (via app)           {decision_ms:8.2f} ms")
    print(f"  peak-day stats (via app)         {stats_ms:8.2f} ms")
    print(f"  search approved q=emilie (app)   {search_ms:8.2f} ms")


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
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--postgres", default=os.environ.get("WALL_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        migrations.upgrade(url)  # runs its own event loop
        asyncio.run(measure("SQLite", url, Path(tmp), args.runs))
        if args.no_postgres:
            return
        name = f"wall_bench_{os.getpid()}"
        try:
            asyncio.run(_admin(args.postgres, f'CREATE DATABASE "{name}"'))
        except (OSError, ConnectionError) as exc:
            print(f"PostgreSQL skipped: {exc}")
            return
        pg = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
        try:
            migrations.upgrade(pg)
            asyncio.run(measure("PostgreSQL", pg, Path(tmp), args.runs))
        finally:
            asyncio.run(_admin(args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
