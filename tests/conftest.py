"""Shared fixtures: a migrated database on SQLite and PostgreSQL, the app, a live server.

Every database test runs twice: on a SQLite file and on the PostgreSQL server
named by ``WALL_TEST_POSTGRES_URL``. PostgreSQL may be missing only on a
developer's machine (the tests then skip, saying why); in CI (``CI`` set) or
with ``WALL_REQUIRE_POSTGRES=1`` an unreachable server fails the run.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url
from starlette.applications import Starlette

from tests.browser import require_chromium
from tests.live import LiveServer, running
from tests.processes import FAR_DELETION_DATE
from wall import migrations
from wall.app import create_app
from wall.config import Settings
from wall.models import Base

POSTGRES_URL = os.environ.get(
    "WALL_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = bool(os.environ.get("CI")) or os.environ.get("WALL_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgresql"]


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    target = make_url(url).set(drivername="postgresql")
    connection = await asyncpg.connect(target.render_as_string(hide_password=False), timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(autouse=True)
def _chromium_for_browser_tests(request: pytest.FixtureRequest) -> None:
    """Browser tests need Chromium: skip on a developer's machine without it, fail in CI.

    Checked before any other fixture starts a server for the test."""
    if request.node.get_closest_marker("browser") is not None:
        require_chromium()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, migrated to head."""
    name = f"wall_test_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        asyncio.run(_admin(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    except (OSError, ConnectionError, TimeoutError) as exc:
        message = f"PostgreSQL unreachable at {POSTGRES_URL}: {exc}"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message + " (set WALL_TEST_POSTGRES_URL to run these)")
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    migrations.upgrade(url)
    yield url
    asyncio.run(_admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets its own copy."""
    path = tmp_path_factory.mktemp("sqlite-template") / "wall.db"
    migrations.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


async def _truncate(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    await _admin(url, f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """An empty, migrated database: a SQLite file, then the PostgreSQL server."""
    if request.param == "sqlite":
        path = tmp_path / "wall.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    asyncio.run(_truncate(url))
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings.from_env(
        {
            "WALL_DATABASE_URL": database_url,
            "WALL_DATA_DIR": str(tmp_path / "data"),
            "WALL_SECRET_KEY": "test-secret-" + secrets.token_hex(8),
            "WALL_UPLOAD_LIMIT_PER_HOUR": "0",
            "WALL_EVENT_POLL_SECONDS": "0.2",
            # Uploads close by the promised deletion date; the default event is in 2024.
            "WALL_KEEP_UNTIL": FAR_DELETION_DATE,
        }
    )


@pytest.fixture
def app(settings: Settings) -> Starlette:
    return create_app(settings, null_pool=True)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process, with its lifespan running."""
    async with running(app) as asgi:
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://wall.test") as http:
            yield http


@pytest.fixture
def live_server(app: Starlette) -> Iterator[LiveServer]:
    """The app served by a real uvicorn on 127.0.0.1 (for SSE and browsers)."""
    server = LiveServer(app)
    server.start()
    try:
        yield server
    finally:
        server.stop()
