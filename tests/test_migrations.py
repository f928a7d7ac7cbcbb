"""Migrations build the schema from empty, and the models match it."""

from __future__ import annotations

import asyncio
import os
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from wall import migrations
from wall.db import Database
from wall.models import Base

ROOT = Path(__file__).resolve().parent.parent


async def _tables(url: str) -> set[str]:
    db = Database(url, null_pool=True)
    try:
        async with db.engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            return set(names)
    finally:
        await db.dispose()


def test_upgrade_from_empty_on_sqlite(tmp_path: pytest.TempPathFactory) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/fresh.db"
    migrations.upgrade(url)
    assert set(Base.metadata.tables) <= asyncio.run(_tables(url))
    migrations.check(url)  # raises when models and schema differ
    migrations.upgrade(url)  # a second run is a no-op


def test_upgrade_from_empty_on_postgresql(postgres_url: str) -> None:
    # The session fixture migrated a brand-new database from empty.
    assert set(Base.metadata.tables) <= asyncio.run(_tables(postgres_url))
    migrations.check(postgres_url)


def test_sqlite_runs_in_wal_mode(tmp_path: pytest.TempPathFactory) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/wal.db"
    migrations.upgrade(url)

    async def journal_mode() -> str:
        db = Database(url, null_pool=True)
        try:
            async with db.engine.connect() as connection:
                result = await connection.exec_driver_sql("PRAGMA journal_mode")
                return str(result.scalar())
        finally:
            await db.dispose()

    assert asyncio.run(journal_mode()) == "wal"


def test_three_processes_migrate_a_fresh_postgresql_database_at_once(postgres_url: str) -> None:
    from tests.conftest import _admin

    name = f"wall_fresh_{secrets.token_hex(4)}"
    asyncio.run(_admin(postgres_url, f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WALL_")}
    env.update(WALL_DATABASE_URL=url, PYTHONPATH=str(ROOT))
    try:
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "wall", "migrate"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        results = [(p.wait(timeout=120), p.communicate()[1]) for p in processes]
        assert results == [(0, "")] * 3
        migrations.check(url)
    finally:
        asyncio.run(_admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_0006_refolds_the_search_text_with_ligatures(tmp_path: pytest.TempPathFactory) -> None:
    path = f"{tmp_path}/before.db"
    migrations.upgrade(f"sqlite+aiosqlite:///{path}", "0003")
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO photos (id, source, source_id, caption, author_name, status, "
            "show_name, pinned, posted_at, submitted_at, width, height, flags, media, "
            "search_text) VALUES ('p1', 'upload', 'p1', 'C''est ÉCŒURANT', 'Lætitia', "
            "'pending', 0, 0, '2024-02-15 12:00:00', '2024-02-15 12:00:00', 800, 600, "
            "'[]', '{}', 'c''est ecœurant lætitia')"
        )
    migrations.upgrade(f"sqlite+aiosqlite:///{path}")
    with sqlite3.connect(path) as connection:
        (text,) = connection.execute("SELECT search_text FROM photos").fetchone()
    assert text == "c'est ecoeurant laetitia"


def test_0003_fills_the_search_text_with_its_own_frozen_folding(
    tmp_path: pytest.TempPathFactory,
) -> None:
    path = f"{tmp_path}/before.db"
    migrations.upgrade(f"sqlite+aiosqlite:///{path}", "0002")
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO photos (id, source, source_id, caption, author_name, status, "
            "show_name, pinned, posted_at, submitted_at, width, height, flags, media) "
            "VALUES ('p1', 'upload', 'p1', 'Érables ÉCŒURANTS', 'Zoé', 'pending', 0, 0, "
            "'2024-02-15 12:00:00', '2024-02-15 12:00:00', 800, 600, '[]', '{}')"
        )
    migrations.upgrade(f"sqlite+aiosqlite:///{path}", "0003")
    with sqlite3.connect(path) as connection:
        (text,) = connection.execute("SELECT search_text FROM photos").fetchone()
    # Accents and case folded, the ligature kept: the folding of that date (0006 refolds).
    assert text == "erables ecœurants zoe"


def test_0010_adds_reason_codes_and_forgets_stored_client_addresses(
    tmp_path: pytest.TempPathFactory,
) -> None:
    path = f"{tmp_path}/before.db"
    migrations.upgrade(f"sqlite+aiosqlite:///{path}", "0008")
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO moderators (id, email, password_hash, role, disabled, created_at) "
            "VALUES (1, 'a@ecole.test', 'x', 'admin', 0, '2024-02-15 12:00:00')"
        )
        connection.execute(
            "INSERT INTO moderator_sessions (id, moderator_id, csrf_token, created_at, "
            "last_seen_at, expires_at, client) VALUES ('s1', 1, 't', '2024-02-15 12:00:00', "
            "'2024-02-15 12:00:00', '2024-02-16 12:00:00', '203.0.113.7')"
        )
        connection.execute(
            "INSERT INTO audit_log (created_at, actor, action, client, details) "
            "VALUES ('2024-02-15 12:00:00', 'a@ecole.test', 'auth.login', '203.0.113.7', '{}')"
        )
    migrations.upgrade(f"sqlite+aiosqlite:///{path}")
    with sqlite3.connect(path) as connection:
        clients = connection.execute(
            "SELECT client FROM audit_log UNION ALL SELECT client FROM moderator_sessions"
        ).fetchall()
        columns = {row[1] for row in connection.execute("PRAGMA table_info(decisions)")}
    assert clients == [(None,), (None,)]
    assert "reason_code" in columns
