"""Engines and sessions.

``writing()`` runs the after-commit hooks once its transaction has
committed: the event hub registers one, so that events written by any
writer are handed out before that writer goes on (``wall.events``).

Reads and writes use two session factories over one pool. On SQLite every
transaction is begun by us: writes with ``BEGIN IMMEDIATE`` (WAL allows one
writer, and a deferred transaction that reads then writes fails at once with
"database is locked" under contention), reads with a plain ``BEGIN``. The
database runs in WAL mode with a busy timeout and foreign keys on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

SQLITE_BUSY_TIMEOUT_MS = 10_000

AfterCommit = Callable[[AsyncSession], Awaitable[None]]
Row = TypeVar("Row")


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


async def locked(session: AsyncSession, model: type[Row], key: Any) -> Row | None:
    """The row of ``model`` whose primary key is ``key``, locked until the transaction
    ends (``FOR UPDATE`` on PostgreSQL; SQLite's writer holds the whole database), and
    read afresh even when the session already holds an older copy; None if absent."""
    return await session.get(model, key, with_for_update=True, populate_existing=True)


def create_engine(url: str, *, null_pool: bool = False) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and explicit BEGINs."""
    kwargs: dict[str, Any] = {}
    if null_pool:
        kwargs["poolclass"] = NullPool
    if is_sqlite(url):
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        _install_sqlite_hooks(engine)
    return engine


def _install_sqlite_hooks(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """The engine and the two ways to open a session on it."""

    def __init__(self, url: str, *, null_pool: bool = False) -> None:
        self.url = url
        self.engine = create_engine(url, null_pool=null_pool)
        writer = self.engine.execution_options(sqlite_immediate=True)
        self._read = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write = async_sessionmaker(writer, expire_on_commit=False)
        self._after_commit: list[AfterCommit] = []

    def after_commit(self, hook: AfterCommit) -> None:
        """Run ``hook(session)`` after each transaction of ``writing()`` commits."""
        self._after_commit.append(hook)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads; its transaction is rolled back at the end."""
        async with self._read() as session:
            yield session

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits at the end, or rolls back on error.

        After the commit, the after-commit hooks run before the caller goes on.
        """
        async with self._write() as session:
            async with session.begin():
                yield session
            for hook in self._after_commit:
                await hook(session)

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()
