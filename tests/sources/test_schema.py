"""Migration 0002 (source states, remote photos) goes down and up again cleanly."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import inspect

from alembic import command
from wall import migrations
from wall.db import Database


async def tables(url: str) -> set[str]:
    db = Database(url, null_pool=True)
    try:
        async with db.engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await db.dispose()


def test_0002_downgrades_and_upgrades(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/wall.db"
    migrations.upgrade(url)
    assert {"source_states", "remote_photos"} <= asyncio.run(tables(url))
    command.downgrade(migrations.alembic_config(url), "0001")
    assert not {"source_states", "remote_photos"} & asyncio.run(tables(url))
    migrations.upgrade(url)
    migrations.check(url)
