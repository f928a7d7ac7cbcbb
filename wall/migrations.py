"""Run Alembic programmatically, wherever the package is installed.

On PostgreSQL the upgrade runs under a session-level advisory lock: several
processes or hosts starting at once on a fresh database (``wall serve`` on
two machines, ``--workers``, a deploy running ``wall migrate`` beside them)
used to race to create the same tables, and one failed its migration. Now
one migrates while the others wait, then find the schema at head. The lock
goes with the connection, so a process killed mid-migration releases it.
SQLite is one file on one host: its own locking serialises the writers.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from alembic import command

# Any fixed 64-bit number every process agrees on ("VagueVrt" in ASCII).
MIGRATION_LOCK_KEY = 0x5661677565567274


def script_location() -> Path:
    """The migration scripts: packaged in a wheel, or the repository's alembic/."""
    packaged = Path(__file__).parent / "migrations"
    if (packaged / "env.py").exists():
        return packaged
    return Path(__file__).resolve().parent.parent / "alembic"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """``alembic upgrade head`` on ``database_url`` (runs its own event loop)."""
    config = alembic_config(database_url)
    if database_url.startswith("postgresql"):
        asyncio.run(_upgrade_under_lock(database_url, config, revision))
    else:
        command.upgrade(config, revision)


async def _upgrade_under_lock(database_url: str, config: Config, revision: str) -> None:
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            lock = {"key": MIGRATION_LOCK_KEY}
            await connection.execute(text("SELECT pg_advisory_lock(:key)"), lock)
            await connection.commit()
            try:
                # Alembic's env.py runs its own event loop: give it a thread.
                await asyncio.to_thread(command.upgrade, config, revision)
            finally:
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), lock)
                await connection.commit()
    finally:
        await engine.dispose()


def check(database_url: str) -> None:
    """Raise if the models and the migrated schema differ."""
    command.check(alembic_config(database_url))


def head_revisions() -> frozenset[str]:
    """The revisions a database at head is at (read from the migration scripts)."""
    scripts = ScriptDirectory.from_config(alembic_config(""))
    return frozenset(scripts.get_heads())


async def current_revisions(connection: AsyncConnection) -> frozenset[str]:
    """The revisions recorded in the database (none before the first migration)."""
    rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
    return frozenset(str(row[0]) for row in rows)
