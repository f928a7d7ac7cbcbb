"""After ``wall purge``, beside a running ``wall serve``, no byte of what named a person is left.

Canary strings go in through the real forms and API of a real ``wall serve``
process; ``wall purge --force`` runs as its own process while the server keeps
serving an open screen. Then every byte of the database's files (SQLite:
the file, its WAL and shared memory; PostgreSQL: a ``pg_dump`` and each
table's relation files), the media folder and the captured logs is searched.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from tests.factories import ADMIN_EMAIL, ADMIN_PASSWORD, jpeg_bytes
from tests.processes import WallProcess, wall_environment
from tests.sse import sse
from wall.models import Base

# ASCII, so that no escaping (JSON's \u, SQL quoting) can hide a copy.
CAPTION = "CANARYCAPTION5531"
NAME = "CANARYNAME6642"
SCHOOL = "CANARYSCHOOL7753"
CONTACT = "canarycontact8864@parent.test"
REQUEST_REASON = "CANARYASK9975 c'est ma fille"
REASON = "visage de CANARYREASON1086"
NOTE = "CANARYNOTE2197 deja vu avec la direction"
CANARIES = [
    b"CANARYCAPTION5531",
    b"CANARYNAME6642",
    b"CANARYSCHOOL7753",
    b"canarycontact8864",
    b"CANARYASK9975",
    b"CANARYREASON1086",
    b"CANARYNOTE2197",
]


async def _fill(base_url: str) -> str:
    """Uploads, decisions with reasons, removal requests with a contact and a note."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        fields = {
            "consent": "yes",
            "everyone_agrees": "yes",
            "age_confirmation": "guardian_consent",
            "caption": f"{CAPTION} a la cabane",
            "display_name": NAME,
            "show_name": "yes",
            "school": SCHOOL,
        }
        ids = []
        for color in range(3):
            image = jpeg_bytes((900, 700), (20 + color * 30, 160, 60))
            answer = await client.post(
                "/upload",
                data=fields,
                files={"photo": ("photo.jpg", image, "image/jpeg")},
                headers={"Accept": "application/json"},
            )
            assert answer.status_code == 201, answer.text
            ids.append(answer.json()["id"])
        for photo_id in ids[:2]:
            sent = await client.post(
                "/removal-request",
                data={
                    "photo_ref": f"{base_url}/#photo-{photo_id}",
                    "reason": REQUEST_REASON,
                    "contact": CONTACT,
                },
            )
            assert sent.status_code == 201, sent.text
        login = await client.post(
            "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        assert login.status_code == 200, login.text
        headers = {"X-CSRF-Token": login.json()["csrf_token"]}
        for photo_id, action in ((ids[0], "approve"), (ids[1], "reject")):
            decided = await client.post(
                f"/api/moderation/photos/{photo_id}/decision",
                json={"action": action, "reason": REASON},
                headers=headers,
            )
            assert decided.status_code == 200, decided.text
        requests = (await client.get("/api/moderation/removal-requests")).json()["requests"]
        dismissed = await client.post(
            f"/api/moderation/removal-requests/{requests[0]['id']}/resolve",
            json={"resolution": "dismissed", "note": NOTE},
            headers=headers,
        )
        assert dismissed.status_code == 200, dismissed.text
        return str(ids[0])


def _found(blob: bytes) -> list[bytes]:
    return [canary for canary in CANARIES if canary in blob]


def _files_under(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _pg_dump(url: str) -> bytes:
    dump = subprocess.run(
        ["pg_dump", "--no-owner", url], capture_output=True, timeout=120, check=True
    )
    return dump.stdout


def _sqlite_bytes(folder: Path) -> dict[str, bytes]:
    """The database file, its write-ahead log and its shared memory."""
    return {p.name: p.read_bytes() for p in folder.glob("wall.db*") if p.is_file()}


async def _pg_bytes(url: str) -> dict[str, bytes]:
    """A pg_dump of the database, and every table's files as the server stores them."""
    import asyncpg

    target = make_url(url).set(drivername="postgresql")
    found = {
        "pg_dump": await asyncio.to_thread(_pg_dump, target.render_as_string(hide_password=False))
    }
    connection = await asyncpg.connect(target.render_as_string(hide_password=False), timeout=5)
    try:
        await connection.execute("CHECKPOINT")  # what the buffers hold is on disk too
        for table in Base.metadata.sorted_tables:
            relations = await connection.fetch(
                "SELECT pg_relation_filepath(c.oid) AS path FROM pg_class c "
                "WHERE c.oid = $1::regclass OR c.oid = (SELECT reltoastrelid FROM pg_class "
                "WHERE oid = $1::regclass) OR c.oid IN (SELECT indexrelid FROM pg_index "
                "WHERE indrelid = $1::regclass)",
                f'"{table.name}"',
            )
            for row in relations:
                if row["path"]:
                    found[row["path"]] = await connection.fetchval(
                        "SELECT pg_read_binary_file($1)", row["path"]
                    )
    finally:
        await connection.close()
    return found


async def _database_bytes(database_url: str, tmp_path: Path) -> dict[str, bytes]:
    if database_url.startswith("sqlite"):
        return await asyncio.to_thread(_sqlite_bytes, tmp_path)
    return await _pg_bytes(database_url)


def _purge(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "wall", "purge", "--force"],
        env=env,
        cwd=cwd,
        capture_output=True,
        timeout=300,
    )


async def test_after_purge_beside_a_running_server_no_byte_names_anyone(
    database_url: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    env = wall_environment(
        WALL_DATABASE_URL=database_url,
        WALL_DATA_DIR=str(data),
        WALL_SECRET_KEY="purge-test-secret",
        WALL_ADMIN_EMAIL=ADMIN_EMAIL,
        WALL_ADMIN_PASSWORD=ADMIN_PASSWORD,
        WALL_UPLOAD_LIMIT_PER_HOUR="0",
        WALL_EVENT_POLL_SECONDS="0.2",
        WALL_BLUR_FACES="guardian_consent",  # private originals beside the public files
    )
    with WallProcess(env, tmp_path) as server:
        shown = await _fill(server.url)
        before = await _database_bytes(database_url, tmp_path)
        assert set(_found(b"".join(before.values()))) == set(CANARIES), "canaries must be stored"
        assert _files_under(data / "media")
        async with sse(server.url) as screen:
            purged = await asyncio.to_thread(_purge, env, tmp_path)
            assert purged.returncode == 0, purged.stderr.decode()
            assert purged.stdout.startswith(b"purged 3 photos")
            event = await screen.next_event(within=10)
            assert (event.event, event.data) == ("photo.removed", {"id": shown})
        async with httpx.AsyncClient(base_url=server.url) as client:
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/api/wall/photos")).json()["photos"] == []
        after = await _database_bytes(database_url, tmp_path)
        # Read while the server still runs: a clean shutdown checkpoints and
        # deletes the WAL by itself, which would prove nothing about the purge.
        wal = tmp_path / "wall.db-wal"
        wal_size = wal.stat().st_size if database_url.startswith("sqlite") else 0
        media = _files_under(data)
        logs = {"serve": server.output().encode(), "purge": purged.stdout + purged.stderr}
    assert {name: _found(blob) for name, blob in after.items() if _found(blob)} == {}
    assert {name: _found(blob) for name, blob in media.items() if _found(blob)} == {}
    assert [p for p in (data / "media").iterdir() if not p.name.startswith(".")] == []
    assert {name: _found(blob) for name, blob in logs.items() if _found(blob)} == {}
    assert wal_size == 0
