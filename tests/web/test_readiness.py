"""``/readyz``: ready when the database answers and its schema is at head; ``/healthz`` apart."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx
from alembic.script import ScriptDirectory

from tests.live import running
from wall import migrations
from wall.app import create_app
from wall.config import Settings


async def test_ready_at_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "revision": sorted(migrations.head_revisions())}
    assert response.headers["cache-control"] == "no-store"


def _one_before_head() -> str:
    scripts = ScriptDirectory.from_config(migrations.alembic_config(""))
    [head] = scripts.get_heads()
    previous = scripts.get_revision(head).down_revision
    assert isinstance(previous, str)
    return previous


async def test_a_schema_behind_head_is_not_ready_but_alive(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'behind.db'}"
    previous = _one_before_head()
    await asyncio.to_thread(migrations.upgrade, url, previous)
    settings = Settings.from_env(
        {"WALL_DATABASE_URL": url, "WALL_DATA_DIR": str(tmp_path / "data"), "WALL_SECRET_KEY": "k"}
    )
    async with running(create_app(settings, null_pool=True)) as asgi:
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            ready = await http.get("/readyz")
            alive = await http.get("/healthz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["error"] == "migrations_not_at_head"
    assert body["message"] and body["message_en"]
    assert body["revision"] == [previous]
    assert body["head"] == sorted(migrations.head_revisions())
    assert alive.status_code == 200


async def test_an_unreachable_database_is_not_ready(tmp_path: Path, sqlite_template: Path) -> None:
    folder = tmp_path / "db"
    folder.mkdir()
    shutil.copy(sqlite_template, folder / "wall.db")
    settings = Settings.from_env(
        {
            "WALL_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'wall.db'}",
            "WALL_DATA_DIR": str(tmp_path / "data"),
            "WALL_SECRET_KEY": "k",
        }
    )
    async with running(create_app(settings, null_pool=True)) as asgi:
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            assert (await http.get("/readyz")).status_code == 200
            shutil.rmtree(folder)  # the database goes away under the running app
            ready = await http.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["error"] == "database_unavailable"
