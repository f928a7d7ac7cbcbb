"""The database as a one-shot command reaches it: migrated first, then one session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from wall import migrations
from wall.cli.errors import CommandError
from wall.config import Settings
from wall.db import Database


def migrate(settings: Settings) -> None:
    """Apply pending migrations; an unreachable or broken database is a CommandError."""
    if settings.database_url.startswith("sqlite"):
        settings.data_path.mkdir(parents=True, exist_ok=True)
    try:
        migrations.upgrade(settings.database_url)
    except (OSError, ConnectionError) as exc:
        raise CommandError(f"cannot reach the database {safe_url(settings)}: {exc}") from None
    except Exception as exc:
        if type(exc).__module__.startswith(("sqlalchemy", "asyncpg", "sqlite3")):
            raise CommandError(
                f"cannot migrate the database {safe_url(settings)}: {exc}".splitlines()[0]
            ) from None
        raise


def safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.database_url).render_as_string(hide_password=True)


@asynccontextmanager
async def opened(settings: Settings) -> AsyncIterator[Database]:
    """The database on an engine of its own (no pool: one command, one connection),
    disposed after."""
    db = Database(settings.database_url, null_pool=True)
    try:
        yield db
    finally:
        await db.dispose()


@asynccontextmanager
async def reading(settings: Settings) -> AsyncIterator[AsyncSession]:
    """One read session of :func:`opened`."""
    async with opened(settings) as db, db.reading() as session:
        yield session


@asynccontextmanager
async def writing(settings: Settings) -> AsyncIterator[AsyncSession]:
    """One write transaction of :func:`opened`: committed at the end, rolled back on error."""
    async with opened(settings) as db, db.writing() as session:
        yield session
