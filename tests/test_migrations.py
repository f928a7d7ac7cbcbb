"""Migrations build the schema from empty, and the models match it."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import inspect

from wall import migrations
from wall.db import Database
from wall.models import Base


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
