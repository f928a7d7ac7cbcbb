"""Decisions per second on PostgreSQL through one ``wall serve``: the price of ordered ids.

Prints figures; it is not a test. Run from the repository root:

    PYTHONPATH=. python bench/decisions_per_second.py [--moderators 8,32] [--seconds 8]
        [--rounds 3] [--postgres URL] [--before 7e4a7c1]

Since the live-delivery fix, every transaction that writes an event takes a
transaction-scoped advisory lock just before its event insert and holds it to
its commit, so event writers commit one at a time (``wall/events.py``). This
prices it: ``--moderators`` signed-in moderators (distinct accounts, each its
own HTTP client and session) approve distinct pending photos as fast as the
server answers, for ``--seconds``, against a real ``wall serve`` on a fresh
PostgreSQL database, for the current code and for the baseline, the code
before the fix (``--before``, exported with ``git archive`` and served with
``PYTHONPATH`` pointing at it). The two alternate (ABBA) over ``--rounds`` to
spread the noise of a shared machine; each run starts a fresh server.
Pending photos are stored beforehand through ``service.submit``, as
``tests/moderation/factories.py`` ``network_photo`` does.

Without a reachable PostgreSQL server it prints why and measures nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.servers import (
    BEFORE_FIX,
    DEFAULT_POSTGRES,
    checkout,
    dsn,
    fresh_database,
    machine_load,
    missing_migrations,
    postgres_unreachable,
)
from tests.processes import ROOT, WallProcess, wall_environment
from wall import auth, migrations
from wall.db import Database
from wall.models import Photo, utcnow
from wall.moderation import service

PASSWORD = "mot-de-passe-de-banc"
BATCH = 250


@dataclass
class Run:
    decisions: int
    seconds: float
    latencies: list[float]
    lock_waiters: float  # mean backends waiting on an advisory lock

    @property
    def rate(self) -> float:
        return self.decisions / self.seconds


def _photo() -> Photo:
    # The values of tests/moderation/factories.py network_photo.
    photo_id = secrets.token_urlsafe(16)
    now = utcnow()
    entry = {"name": secrets.token_hex(20) + ".jpg", "width": 1600, "height": 1200}
    entry["content_type"] = "image/jpeg"
    return Photo(
        id=photo_id,
        source="mastodon",
        source_id=photo_id,
        author_name="École verte",
        author_handle="@ecole@mastodon.test",
        caption="Tout le monde en vert! #perséVERT2024",
        posted_at=now,
        submitted_at=now,
        width=1600,
        height=1200,
        green_score=0.4,
        flags=[],
        media={"display": entry, "thumb": {**entry, "width": 400, "height": 300}},
        pinned=False,
        show_name=True,
    )


async def pending_photos(database_url: str, count: int) -> list[str]:
    db = Database(database_url, null_pool=True)
    ids: list[str] = []
    try:
        while len(ids) < count:
            async with db.writing() as session:
                for _ in range(min(BATCH, count - len(ids))):
                    photo = await service.submit(session, _photo(), [])
                    ids.append(photo.id)
    finally:
        await db.dispose()
    return ids


async def add_moderators(database_url: str, count: int) -> list[str]:
    emails = [f"moderateur-{n}@ecole.test" for n in range(count)]
    db = Database(database_url, null_pool=True)
    try:
        async with db.writing() as session:
            for email in emails:
                await auth.upsert_moderator(session, email, PASSWORD, "moderator")
    finally:
        await db.dispose()
    return emails


async def sign_in(base_url: str, emails: list[str]) -> list[tuple[str, str]]:
    """(session cookie header, CSRF token) per moderator; sessions live in the database."""
    signed: list[tuple[str, str]] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        for email in emails:
            client.cookies.clear()
            answer = await client.post(
                "/api/auth/login", json={"email": email, "password": PASSWORD}
            )
            answer.raise_for_status()
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
            signed.append((cookie, answer.json()["csrf_token"]))
    return signed


async def lock_waiters(database_url: str, until: float) -> float:
    """Mean number of the database's backends waiting on an advisory lock (the event
    order lock), sampled every 20 ms from another database's connection."""
    connection = await asyncpg.connect(dsn(database_url, "postgres"), timeout=5)
    samples: list[int] = []
    try:
        while time.perf_counter() < until:
            samples.append(
                await connection.fetchval(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = $1 AND wait_event = 'advisory'",
                    make_url(database_url).database,
                )
            )
            await asyncio.sleep(0.02)
    finally:
        await connection.close()
    return statistics.mean(samples) if samples else 0.0


async def decide(
    base_url: str,
    database_url: str,
    moderators: list[tuple[str, str]],
    photos: list[str],
    seconds: float,
) -> Run:
    latencies: list[float] = []
    pending = iter(photos)
    began = time.perf_counter()
    deadline = began + seconds

    async def moderator(cookie: str, csrf: str) -> None:
        async with httpx.AsyncClient(
            base_url=base_url, timeout=60, headers={"Cookie": cookie, "X-CSRF-Token": csrf}
        ) as client:
            while time.perf_counter() < deadline:
                photo_id = next(pending, None)
                if photo_id is None:
                    return
                sent = time.perf_counter()
                answer = await client.post(
                    f"/api/moderation/photos/{photo_id}/decision", json={"action": "approve"}
                )
                answer.raise_for_status()
                latencies.append(time.perf_counter() - sent)

    sampler = asyncio.create_task(lock_waiters(database_url, deadline))
    await asyncio.gather(*(moderator(cookie, csrf) for cookie, csrf in moderators))
    elapsed = time.perf_counter() - began
    return Run(len(latencies), elapsed, latencies, await sampler)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def measure(
    args: argparse.Namespace, database_url: str, before_code: Path | None
) -> dict[Any, Any]:
    counts = [int(n) for n in args.moderators.split(",")]
    results: dict[tuple[str, int], list[Run]] = {}
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        (tmp / "data").mkdir()
        base = wall_environment(
            WALL_DATABASE_URL=database_url,
            WALL_DATA_DIR=str(tmp / "data"),
            WALL_SECRET_KEY="bench-" + secrets.token_hex(16),
        )
        migrations.upgrade(database_url)
        emails = asyncio.run(add_moderators(database_url, max(counts)))
        signed: list[tuple[str, str]] = []
        order = ["before", "current"] if before_code is not None else ["current"]
        for round_ in range(args.rounds):
            for label in order if round_ % 2 == 0 else order[::-1]:
                code = before_code if label == "before" and before_code else ROOT
                env = {**base, "PYTHONPATH": str(code)}
                for count in counts:
                    photos = asyncio.run(pending_photos(database_url, args.photos))
                    with WallProcess(env, tmp) as server:
                        if not signed:
                            signed = asyncio.run(sign_in(server.url, emails))
                        run = asyncio.run(
                            decide(server.url, database_url, signed[:count], photos, args.seconds)
                        )
                    results.setdefault((label, count), []).append(run)
                    exhausted = " (ran out of photos)" if run.decisions == args.photos else ""
                    print(
                        f"  round {round_ + 1}, {label}, {count} moderators:"
                        f" {run.rate:.0f}/s{exhausted}",
                        file=sys.stderr,
                    )
    return results


def main(args: argparse.Namespace) -> None:
    reason = postgres_unreachable(args.postgres)
    if reason is not None:
        print(f"decisions_per_second: skipped, PostgreSQL unreachable at {args.postgres}: {reason}")
        return
    load_at_start = machine_load()
    with (
        tempfile.TemporaryDirectory() as directory,
        checkout(args.before, Path(directory) / "before") as before_code,
        fresh_database(args.postgres, "decisions") as database_url,
    ):
        lacking = missing_migrations(before_code)
        if lacking:
            # Both codes share one database, migrated to head; a baseline that
            # does not know head's migrations refuses to start on it.
            print(
                f"decisions_per_second: baseline {args.before} lacks migrations"
                f" {', '.join(lacking)}; measuring the current code alone"
            )
        results = measure(args, database_url, None if lacking else before_code)
    print(f"Machine: {load_at_start} at the start, {machine_load()} at the end")
    print(
        f"Approvals over HTTP to one wall serve on PostgreSQL, {args.seconds:.0f} s per run,"
        f" {args.rounds} runs each (alternating order), median of runs; shared 2-core machine"
    )
    print(
        f"{'moderators':>10}  {'code':<16} {'decisions/s':>11} {'runs (min-max)':>15}"
        f" {'median':>8} {'99 %':>8} {'lock waiters':>12}"
    )
    for count in [int(n) for n in args.moderators.split(",")]:
        rates = {}
        for label, name in (("before", f"before {args.before}"), ("current", "current")):
            if (label, count) not in results:
                continue
            runs = results[(label, count)]
            rates[label] = statistics.median(run.rate for run in runs)
            spread = f"{min(r.rate for r in runs):.0f}-{max(r.rate for r in runs):.0f}"
            latencies = [latency for run in runs for latency in run.latencies]
            print(
                f"{count:>10}  {name:<16} {rates[label]:11.0f} {spread:>15}"
                f" {statistics.median(latencies) * 1000:6.1f}ms"
                f" {percentile(latencies, 0.99) * 1000:6.1f}ms"
                f" {statistics.median(run.lock_waiters for run in runs):12.1f}"
            )
        if "before" in rates:
            print(f"{'':>10}  {'ratio':<16} {rates['current'] / rates['before']:10.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moderators", default="8,32", help="comma-separated concurrencies")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per code and concurrency")
    parser.add_argument("--photos", type=int, default=2000, help="pending photos per run")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server for a fresh database")
    parser.add_argument("--before", default=BEFORE_FIX, help="baseline commit")
    main(parser.parse_args())
