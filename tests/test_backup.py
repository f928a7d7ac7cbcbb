"""``wall backup`` while ``wall serve`` takes uploads, then ``wall restore``: every
upload acknowledged before the backup began is in the restored wall, files and
manage link included."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.factories import ADMIN_EMAIL, ADMIN_PASSWORD, UPLOAD_FIELDS, jpeg_bytes
from tests.processes import ROOT, WallProcess, wall_command, wall_environment


class Uploader(threading.Thread):
    """Uploads one photo after another; records what the server acknowledged, and when."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.stop = threading.Event()
        self.acknowledged: list[tuple[float, dict[str, str]]] = []

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            n = 0
            while not self.stop.is_set():
                n += 1
                color = (20 + n % 50, 120 + n % 100, 40 + n % 80)
                response = http.post(
                    "/upload",
                    data=UPLOAD_FIELDS,
                    files={"photo": ("p.jpg", jpeg_bytes((400, 300), color=color), "image/jpeg")},
                    headers={"Accept": "application/json"},
                )
                assert response.status_code == 201, response.text
                self.acknowledged.append((time.monotonic(), response.json()))


def _env(tmp: Path, name: str) -> dict[str, str]:
    return wall_environment(
        WALL_DATABASE_URL=f"sqlite+aiosqlite:///{tmp / name / 'wall.db'}",
        WALL_DATA_DIR=str(tmp / name / "data"),
        WALL_UPLOAD_LIMIT_PER_HOUR="0",
        WALL_MAX_PENDING_PER_CLIENT="0",
        WALL_ADMIN_EMAIL=ADMIN_EMAIL,
        WALL_ADMIN_PASSWORD=ADMIN_PASSWORD,
    )


def test_a_backup_during_uploads_restores_every_acknowledged_photo(tmp_path: Path) -> None:
    original = _env(tmp_path, "original")
    server = WallProcess(original, tmp_path)
    with server:
        uploader = Uploader(server.url)
        uploader.start()
        while len(uploader.acknowledged) < 5:
            time.sleep(0.05)
        began = time.monotonic()
        out = wall_command("backup", str(tmp_path / "backup"), env=original)
        ended = time.monotonic()
        while not any(at > ended for at, _ in uploader.acknowledged):
            time.sleep(0.05)  # uploads went on during and after the backup
        uploader.stop.set()
        uploader.join(timeout=60)
    before = [photo for at, photo in uploader.acknowledged if at < began]
    after = [photo for at, photo in uploader.acknowledged if at > ended]
    during = [photo for at, photo in uploader.acknowledged if began <= at <= ended]
    assert len(before) >= 5 and during and after  # the server wrote while the backup ran
    assert "backup written to" in out

    restored = _env(tmp_path, "restored")
    wall_command("restore", str(tmp_path / "backup"), env=restored)
    database = tmp_path / "restored" / "wall.db"
    connection = sqlite3.connect(database)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = {row[0] for row in connection.execute("SELECT id FROM photos")}
        names = [row[0] for row in connection.execute("SELECT name FROM media_files")]
    finally:
        connection.close()
    assert {photo["id"] for photo in before} <= ids
    assert not {photo["id"] for photo in after} & ids  # the snapshot is of one instant
    media = tmp_path / "restored" / "data" / "media"
    assert names and all((media / name).is_file() for name in names)

    with WallProcess(restored, tmp_path) as again, httpx.Client(base_url=again.url) as http:
        # The manage links still work: the data directory's key came with the backup.
        for photo in before:
            page = http.get(httpx.URL(photo["manage_url"]).path)
            assert page.status_code == 200, photo
        signed = http.post(
            "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        assert signed.status_code == 200
        listed = http.get("/api/moderation/photos", params={"status": "pending", "limit": 100})
        assert listed.status_code == 200, listed.text
        shown = {p["id"]: p for p in listed.json()["photos"]}
        for photo in before:
            media_url = httpx.URL(shown[photo["id"]]["media_url"]).path
            assert http.get(media_url).status_code == 200


def test_a_backup_never_overwrites_and_is_refused_on_postgresql(tmp_path: Path) -> None:
    env = _env(tmp_path, "one")
    wall_command("migrate", env=env)
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "something").write_text("x")

    def wall(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "wall", *args],
            env={**env, **extra},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    taken = wall("backup", str(tmp_path / "taken"))
    assert taken.returncode == 1 and "not an empty directory" in taken.stderr
    assert (tmp_path / "taken" / "something").read_text() == "x"
    postgres = wall(
        "backup",
        str(tmp_path / "pg"),
        WALL_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:5432/test",
    )
    assert postgres.returncode == 1 and "pg_dump" in postgres.stderr
    assert not (tmp_path / "pg").exists()
    wall_command("backup", str(tmp_path / "backup"), env=env)
    refused = wall("restore", str(tmp_path / "backup"))  # onto the existing database
    assert refused.returncode == 1 and "--force" in refused.stderr
    assert wall("restore", str(tmp_path / "backup"), "--force").returncode == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".backup")]  # no leftovers


def test_the_documented_postgresql_procedure_restores_the_wall(
    postgres_url: str, tmp_path: Path
) -> None:
    """docs/deploy.md's pg_dump, then media, then key; pg_restore into a new database."""
    import asyncio
    import secrets
    import shutil

    from sqlalchemy.engine import make_url

    from tests.factories import decide, sign_in, upload
    from tests.live import running
    from wall import migrations
    from wall.app import create_app
    from wall.config import Settings

    base = make_url(postgres_url)
    names = [f"wall_backup_{kind}_{secrets.token_hex(3)}" for kind in ("src", "dst")]
    maintenance = base.set(drivername="postgresql").render_as_string(hide_password=False)
    urls = [base.set(database=name).render_as_string(hide_password=False) for name in names]
    plain = [url.replace("+asyncpg", "") for url in urls]

    def settings_for(url: str, data: Path) -> Settings:
        return Settings.from_env(
            {
                "WALL_DATABASE_URL": url,
                "WALL_DATA_DIR": str(data),
                "WALL_UPLOAD_LIMIT_PER_HOUR": "0",
                # Uploads close by the promised deletion date: keep it ahead.
                "WALL_KEEP_UNTIL": "2099-12-31",
            }
        )

    async def a_morning(settings: Settings) -> tuple[str, list[str]]:
        async with running(create_app(settings, null_pool=True)) as asgi:
            transport = httpx.ASGITransport(app=asgi)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                csrf = await sign_in(client, settings)
                sent = [
                    (await upload(client, jpeg_bytes(color=(30, 150 + n, 60)))).json()
                    for n in range(3)
                ]
                assert (await decide(client, csrf, sent[0]["id"], "approve")).status_code == 200
        return sent[0]["id"], [photo["manage_url"] for photo in sent]

    async def the_restored_wall(settings: Settings, approved: str, links: list[str]) -> None:
        async with running(create_app(settings, null_pool=True)) as asgi:
            transport = httpx.ASGITransport(app=asgi)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                feed = (await client.get("/api/wall/photos")).json()
                assert [photo["id"] for photo in feed["photos"]] == [approved]
                image = httpx.URL(feed["photos"][0]["image"]["url"]).path
                assert (await client.get(image)).status_code == 200
                for link in links:
                    assert (await client.get(httpx.URL(link).path)).status_code == 200

    for name in names:
        subprocess.run(["createdb", f"--maintenance-db={maintenance}", name], check=True)
    try:
        migrations.upgrade(urls[0])
        source = settings_for(urls[0], tmp_path / "source")
        approved, links = asyncio.run(a_morning(source))
        dump = tmp_path / "backups" / "wall.dump"
        dump.parent.mkdir()
        subprocess.run(
            ["pg_dump", "--format=custom", f"--file={dump}", plain[0]], check=True, timeout=120
        )
        shutil.copytree(source.media_path, tmp_path / "backups" / "media")
        shutil.copy2(source.data_path / "secret_key", tmp_path / "backups" / "secret_key")

        subprocess.run(
            ["pg_restore", "--clean", "--if-exists", f"--dbname={plain[1]}", str(dump)],
            check=True,
            timeout=120,
        )
        restored = settings_for(urls[1], tmp_path / "restored")
        shutil.copytree(tmp_path / "backups" / "media", restored.media_path)
        shutil.copy2(tmp_path / "backups" / "secret_key", restored.data_path / "secret_key")
        wall_command("migrate", env=wall_environment(WALL_DATABASE_URL=urls[1]))
        asyncio.run(the_restored_wall(restored, approved, links))
    finally:
        for name in names:
            subprocess.run(
                ["dropdb", "--if-exists", "--force", f"--maintenance-db={maintenance}", name],
                check=False,
            )
