"""Reconnect storm: screens catching up after ``wall serve`` restarts.

Prints figures; it is not a test. Run from the repository root:

    PYTHONPATH=. python bench/reconnect_storm.py [--clients 500,2000] [--history 2000] [--missed 5]
        [--retry 0.5] [--postgres URL | --sqlite] [--before 7e4a7c1]

For each number of clients, and for the current code and (the baseline) the
code before the live-delivery fix (``--before``, exported with ``git
archive`` and served with ``PYTHONPATH`` pointing at it), in the same run:

1. ``wall serve`` starts on a fresh database holding ``--history`` older
   events (moderators' queue events, which screens are not sent: they fill
   the hub's in-memory replay window as a day of moderation does; the window
   keeps 2,048); an out-of-process crowd
   (``bench/sse_crowd.py``) opens the streams and sees ``--seen`` approvals;
2. the server gets SIGTERM; while it is down ``--missed`` photos are
   approved directly through the app's DB layer (``service.decide``);
3. a new ``wall serve`` starts on the same port; the clients, which retry
   every ``--retry`` seconds as ``EventSource`` does after its ``retry:``
   delay, reconnect with ``Last-Event-ID``.

Reported: the seconds from the new process's first 200 on ``/healthz`` until
99 % and 100 % of the clients have the last missed event, and the SQL the new
process issued: the hub's reads from ``/metrics`` (current code only) and,
on PostgreSQL, the ``pg_stat_database`` transactions (commits + rollbacks) of
the benchmark's own database over the new process's whole life (start,
storm, stop), an independent count. Goal (issue 8): statements O(1) in
clients; 99 % caught up within 3 s at 2,000.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import secrets
import sys
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.servers import (
    BEFORE_FIX,
    DEFAULT_POSTGRES,
    checkout,
    fresh_database,
    launch,
    machine_load,
    metrics,
    missing_migrations,
    postgres_unreachable,
    serves_metrics,
    transactions,
)
from bench.sse_crowd import CrowdProcess, raise_fd_limit
from tests.factories import ADMIN_EMAIL, ADMIN_PASSWORD, add_moderator
from tests.moderation.factories import network_photo
from tests.processes import ROOT, WallProcess, wall_environment
from wall import events, migrations
from wall.config import Settings
from wall.db import Database
from wall.events import PUBLIC_EVENT_TYPES
from wall.models import Event
from wall.moderation import service
from wall.moderation.states import Action

GOAL_P99_SECONDS = 3.0


@dataclass
class Storm:
    clients: int
    p99: float
    p100: float
    missing: int
    resets: int
    sigterm_exit: float
    hub_reads: float | None
    replay_reads: float | None
    transactions: int | None
    lifetime: float


def percentile(times: list[float], fraction: float) -> float:
    return times[max(0, math.ceil(fraction * len(times)) - 1)]


async def _prepare(settings: Settings, count: int, history: int) -> list[str]:
    """The moderator, ``count`` pending photos, and ``history`` older events: a day
    of moderators' queue events, so that the hub's replay window is as full as
    it is in production."""
    await add_moderator(settings)
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.writing() as session:
            for n in range(history):
                events.append(session, "queue.claimed", {"id": f"history-{n}"})
    finally:
        await db.dispose()
    return [await network_photo(settings) for _ in range(count)]


async def _approve_directly(settings: Settings, photo_ids: list[str]) -> int:
    """Approve through the DB layer, one transaction each; returns the newest public event id."""
    db = Database(settings.database_url, null_pool=True)
    try:
        for photo_id in photo_ids:
            async with db.writing() as session:
                await service.decide(session, photo_id, Action.APPROVE)
    finally:
        await db.dispose()
    return await _newest_event(settings)


async def _newest_event(settings: Settings) -> int:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            return int(
                await session.scalar(
                    select(func.max(Event.id)).where(Event.type.in_(PUBLIC_EVENT_TYPES))
                )
                or 0
            )
    finally:
        await db.dispose()


def storm(
    env: dict[str, str], tmp: Path, clients: int, args: argparse.Namespace, postgres: bool
) -> Storm:
    settings = Settings.from_env(env)
    photos = asyncio.run(_prepare(settings, args.seen + args.missed, args.history))
    first = WallProcess(env, tmp).start()
    crowd = CrowdProcess()
    second: WallProcess | None = None
    try:
        crowd.send(
            op="connect",
            host="127.0.0.1",
            port=first.port,
            path="/api/wall/events",
            count=clients,
            reconnect=True,
            retry=args.retry,
        )
        if crowd.answer()["connected"] != clients:
            raise RuntimeError("not every stream opened")
        with httpx.Client(base_url=first.url, timeout=60) as moderator:
            login = moderator.post(
                "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
            )
            login.raise_for_status()
            for photo_id in photos[: args.seen]:
                moderator.post(
                    f"/api/moderation/photos/{photo_id}/decision",
                    json={"action": "approve"},
                    headers={"X-CSRF-Token": login.json()["csrf_token"]},
                ).raise_for_status()
        seen = asyncio.run(_newest_event(settings))
        crowd.send(op="wait", above=seen - 1, timeout=60)
        if None in crowd.answer()["times"]:
            raise RuntimeError("some clients did not see the first approvals")
        sigterm_exit = first.terminate()
        newest = asyncio.run(_approve_directly(settings, photos[args.seen :]))
        counted_before = transactions(settings.database_url) if postgres else None
        second = WallProcess(env, tmp)
        second.port, second.url = first.port, first.url  # the address the screens know
        second.log_path = tmp / f"wall-serve-{first.port}-restarted.log"
        started = time.monotonic()
        healthy = launch(second)
        crowd.send(op="wait", above=newest - 1, timeout=120)
        arrivals = crowd.answer()["times"]
        times = sorted(t - healthy for t in arrivals if t is not None)
        crowd.send(op="stats")
        resets = crowd.answer()["resets"]
        figures = metrics(second.url) if serves_metrics(second.url) else {}
        crowd.end()
        second.terminate()
        lifetime = time.monotonic() - started
        counted = (
            transactions(settings.database_url) - counted_before
            if counted_before is not None
            else None
        )
        return Storm(
            clients=clients,
            p99=percentile(times, 0.99) if times else math.inf,
            p100=times[-1] if len(times) == clients else math.inf,
            missing=clients - len(times),
            resets=resets,
            sigterm_exit=sigterm_exit,
            hub_reads=figures.get("wall_event_hub_reads_total"),
            replay_reads=figures.get("wall_event_replay_reads_total"),
            transactions=counted,
            lifetime=lifetime,
        )
    finally:
        crowd.end()
        first.stop()
        if second is not None:
            second.stop()


def run_version(
    label: str, code: Path, database_url: str, args: argparse.Namespace, postgres: bool
) -> list[Storm]:
    results = []
    for clients in [int(n) for n in args.clients.split(",")]:
        with tempfile.TemporaryDirectory() as directory:
            tmp = Path(directory)
            url = database_url or f"sqlite+aiosqlite:///{tmp / 'wall.db'}"
            with fresh_database(url, "storm") if postgres else nullcontext(url) as db_url:
                env = wall_environment(
                    WALL_DATABASE_URL=db_url,
                    WALL_DATA_DIR=str(tmp / "data"),
                    WALL_SECRET_KEY="bench-" + secrets.token_hex(16),
                    WALL_ADMIN_EMAIL=ADMIN_EMAIL,
                    WALL_ADMIN_PASSWORD=ADMIN_PASSWORD,
                    PYTHONPATH=str(code),
                )
                (tmp / "data").mkdir()
                migrations.upgrade(db_url)
                results.append(storm(env, tmp, clients, args, postgres))
        print(f"  ({label}, {clients:,} clients done)", file=sys.stderr)
    return results


def _show(value: float | int | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer() and not unit:
        return f"{int(value)}"
    return f"{value:.2f}{unit}" if isinstance(value, float) else f"{value}{unit}"


def main(args: argparse.Namespace) -> None:
    raise_fd_limit()
    load_at_start = machine_load()
    postgres = not args.sqlite
    if postgres:
        reason = postgres_unreachable(args.postgres)
        if reason is not None:
            print(f"PostgreSQL unreachable ({reason}): SQLite only, no independent SQL count")
            postgres = False
    database_url = args.postgres if postgres else ""
    before: list[Storm] | None = None
    with tempfile.TemporaryDirectory() as directory:
        with checkout(args.before, Path(directory) / "before") as before_code:
            lacking = missing_migrations(before_code)
            if lacking:
                # The setup writes through the current code's models, and the
                # baseline refuses a schema it has no migration for.
                print(
                    f"reconnect_storm: baseline {args.before} lacks migrations"
                    f" {', '.join(lacking)}; measuring the current code alone"
                )
            else:
                before = run_version(
                    f"before {args.before}", before_code, database_url, args, postgres
                )
        current = run_version("current", ROOT, database_url, args, postgres)
    print(f"Machine: {load_at_start} at the start, {machine_load()} at the end")
    backend = "PostgreSQL" if postgres else "SQLite"
    print(
        f"Reconnect storm on {backend}: {args.history} older events, {args.seen} seen, SIGTERM,"
        f" {args.missed} written while down, restart; clients retry every {args.retry} s"
        " with Last-Event-ID"
    )
    print(
        f"{'clients':>8}  {'code':<16} {'99 % caught up':>15} {'100 %':>8} {'missing':>7}"
        f" {'resets':>6} {'SIGTERM exit':>12} {'hub reads':>9} {'replay reads':>12}"
        f" {'pg xacts':>8} {'life':>6}"
    )
    pairs = zip(before, current, strict=True) if before else ((None, new) for new in current)
    for old, new in pairs:
        for name, s in ((f"before {args.before}", old), ("current", new)):
            if s is None:
                continue
            print(
                f"{s.clients:>8,}  {name:<16} {s.p99:14.2f}s {s.p100:7.2f}s {s.missing:>7}"
                f" {s.resets:>6} {s.sigterm_exit:11.2f}s {_show(s.hub_reads):>9}"
                f" {_show(s.replay_reads):>12} {_show(s.transactions):>8} {s.lifetime:5.1f}s"
            )
    if postgres and len(current) > 1:
        low, high = current[0], current[-1]
        extra = high.clients - low.clients
        assert low.transactions is not None and high.transactions is not None
        line = (
            f"pg transactions per extra client ({low.clients:,} → {high.clients:,}):"
            f" current {(high.transactions - low.transactions) / extra:.3f}"
        )
        if before:
            old_low, old_high = before[0], before[-1]
            assert old_low.transactions is not None and old_high.transactions is not None
            line += f", before {(old_high.transactions - old_low.transactions) / extra:.3f}"
        print(line)
    largest = current[-1]
    met = largest.p99 <= GOAL_P99_SECONDS
    print(
        f"Goal: 99 % caught up within {GOAL_P99_SECONDS:.0f} s at {largest.clients:,}:"
        f" {largest.p99:.2f} s — {'met' if met else 'MISSED'}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="500,2000", help="comma-separated sizes")
    parser.add_argument("--seen", type=int, default=3, help="approvals seen before the restart")
    parser.add_argument(
        "--history", type=int, default=2000, help="older events, to fill the replay window"
    )
    parser.add_argument("--missed", type=int, default=5, help="approvals while the server is down")
    parser.add_argument("--retry", type=float, default=0.5, help="clients' reconnection delay (s)")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server for fresh databases")
    parser.add_argument("--sqlite", action="store_true", help="SQLite only")
    parser.add_argument("--before", default=BEFORE_FIX, help="baseline commit")
    main(parser.parse_args())
