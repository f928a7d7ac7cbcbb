"""Faults for real: ``kill -9`` a busy ``wall serve`` at a random moment, restart, repeat.

Uploads and decisions run concurrently against a real ``wall serve``
subprocess; at a random moment after the round's first acknowledged request
the process is killed with SIGKILL, then started again. Whatever got a 2xx
must still be there afterwards: every acknowledged upload exists with its
files, every acknowledged decision stuck. SQLite's ``integrity_check``
passes, and once the start-up sweep has run (``WALL_SWEEP_AFTER_SECONDS``
set low) no orphan media file, interrupted write or upload spool is left.

5 rounds per database by default (CI); more with ``WALL_KILL_ROUNDS``, e.g.
``WALL_KILL_ROUNDS=20 .venv/bin/python -m pytest tests/test_kill_loop.py``.
``WALL_KILL_SEED`` replays a run (the seed is printed on failure).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.engine import make_url

from tests.factories import UPLOAD_FIELDS, jpeg_bytes
from tests.processes import WallProcess, wall_environment
from wall import uploads
from wall.config import Settings
from wall.db import Database
from wall.models import MediaFile, Photo

ROUNDS = int(os.environ.get("WALL_KILL_ROUNDS", "5"))
UPLOADERS = 4
DECIDERS = 2
EMAIL = "veille@ecole.test"
PASSWORD = "mot-de-passe-de-nuit"
# After the round's first acknowledged request, the kill comes within this many seconds.
MAX_KILL_DELAY = 1.5
SWEEP_AFTER = 1.0


@dataclass
class Acknowledged:
    """What the server answered 2xx to, over every round."""

    uploads: set[str] = field(default_factory=set)
    decisions: dict[str, str] = field(default_factory=dict)  # photo id -> status answered
    undecided: list[str] = field(default_factory=list)
    first: asyncio.Event = field(default_factory=asyncio.Event)
    killed: bool = False  # this round's server is gone: idle deciders stop


async def sign_in(http: httpx.AsyncClient) -> str:
    response = await http.post("/api/auth/login", json={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["csrf_token"]
    return token


async def uploader(http: httpx.AsyncClient, rng: random.Random, acked: Acknowledged) -> None:
    while True:
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        photo = jpeg_bytes((320, 240), colour)
        response = await http.post(
            "/upload",
            data=UPLOAD_FIELDS,
            files={"photo": ("photo.jpg", photo, "image/jpeg")},
            headers={"Accept": "application/json"},
        )
        assert response.status_code == 201, response.text
        photo_id = response.json()["id"]
        acked.uploads.add(photo_id)
        acked.undecided.append(photo_id)
        acked.first.set()


async def decider(
    http: httpx.AsyncClient, csrf: str, rng: random.Random, acked: Acknowledged
) -> None:
    while True:
        if not acked.undecided:
            if acked.killed:
                return  # nothing left to decide and nobody left to upload it
            await asyncio.sleep(0.02)
            continue
        photo_id = acked.undecided.pop(rng.randrange(len(acked.undecided)))
        action = rng.choice(["approve", "approve", "reject"])
        response = await http.post(
            f"/api/moderation/photos/{photo_id}/decision",
            json={"action": action},
            headers={"X-CSRF-Token": csrf},
        )
        assert response.status_code == 200, response.text
        acked.decisions[photo_id] = response.json()["status"]
        acked.first.set()


async def one_round(server: WallProcess, rng: random.Random, acked: Acknowledged) -> None:
    await asyncio.to_thread(server.start)
    acked.first = asyncio.Event()
    acked.killed = False
    limits = httpx.Limits(max_connections=UPLOADERS + DECIDERS + 2)
    async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as http:
        csrf = await sign_in(http)
        workers = [asyncio.create_task(uploader(http, rng, acked)) for _ in range(UPLOADERS)]
        workers += [asyncio.create_task(decider(http, csrf, rng, acked)) for _ in range(DECIDERS)]
        waiting = asyncio.create_task(acked.first.wait())
        done, _ = await asyncio.wait([waiting, *workers], return_when=asyncio.FIRST_COMPLETED)
        if waiting not in done:  # a worker failed before anything was acknowledged
            waiting.cancel()
            for task in done:
                task.result()
        await asyncio.sleep(rng.uniform(0, MAX_KILL_DELAY))
        for task in workers:
            if task.done():
                task.result()  # a refusal before the kill is a failure of its own
        await asyncio.to_thread(server.kill)
        acked.killed = True
        async with asyncio.timeout(120):  # a worker that never notices the kill is a bug
            results = await asyncio.gather(*workers, return_exceptions=True)
    for result in results:
        # Cut off mid-request by the kill, or a decider that found nothing left to
        # decide once the server was gone: nothing else is expected.
        assert result is None or isinstance(result, httpx.TransportError), repr(result)


async def check_nothing_acknowledged_was_lost(settings: Settings, acked: Acknowledged) -> None:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            rows = (await session.execute(select(Photo.id, Photo.status))).all()
            statuses = {photo_id: status for photo_id, status in rows}
            names = set((await session.scalars(select(MediaFile.name))).all())
            owned = set(
                (
                    await session.scalars(
                        select(MediaFile.photo_id).where(MediaFile.photo_id.in_(acked.uploads))
                    )
                ).all()
            )
    finally:
        await db.dispose()
    assert acked.uploads - statuses.keys() == set(), "acknowledged uploads lost"
    assert owned == acked.uploads, "acknowledged uploads without their files"
    lost = {pid: s for pid, s in acked.decisions.items() if statuses[pid] != s}
    assert lost == {}, "acknowledged decisions lost"

    on_disk = {p.name for p in settings.media_path.iterdir()}
    assert names - on_disk == set(), "files named by a photo are missing"
    assert on_disk - names == set(), "orphan or half-written media files remain"
    spool = uploads.spool_dir(settings)
    leftovers = sorted(p.name for p in spool.iterdir()) if spool.is_dir() else []
    assert leftovers == [], "upload spools remain"


def sqlite_integrity(database_url: str) -> str:
    path = make_url(database_url).database
    assert path is not None
    with contextlib.closing(sqlite3.connect(path)) as connection:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
    return "; ".join(str(row[0]) for row in rows)


async def test_nothing_acknowledged_is_lost_across_kill_9_restarts(
    database_url: str, settings: Settings, tmp_path: Path
) -> None:
    seed = int(os.environ.get("WALL_KILL_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    env = {
        "WALL_DATABASE_URL": database_url,
        "WALL_DATA_DIR": settings.data_dir,
        "WALL_SECRET_KEY": str(settings.secret_key),
        "WALL_ADMIN_EMAIL": EMAIL,
        "WALL_ADMIN_PASSWORD": PASSWORD,
        "WALL_UPLOAD_LIMIT_PER_HOUR": "0",
        "WALL_MAX_PENDING_PER_CLIENT": "0",
        "WALL_SWEEP_AFTER_SECONDS": str(SWEEP_AFTER),
    }
    server = WallProcess(wall_environment(**env), tmp_path, log_path=tmp_path / "serve.log")
    acked = Acknowledged()
    try:
        for round_number in range(ROUNDS):
            try:
                await one_round(server, rng, acked)
            except BaseException as exc:
                exc.add_note(f"round {round_number + 1} of {ROUNDS}, WALL_KILL_SEED={seed}")
                raise
        # Let whatever the last kill left behind age past the sweep delay, then
        # start once more: the sweep runs before the server answers.
        await asyncio.sleep(SWEEP_AFTER + 0.5)
        await asyncio.to_thread(server.start)
        await asyncio.to_thread(server.stop)
    finally:
        await asyncio.to_thread(server.stop)

    assert acked.uploads, "no upload was acknowledged: the test proved nothing"
    assert acked.decisions, "no decision was acknowledged: the test proved nothing"
    await check_nothing_acknowledged_was_lost(settings, acked)
    if database_url.startswith("sqlite"):
        assert sqlite_integrity(database_url) == "ok"
