"""What the live-delivery benchmarks run against: fresh PostgreSQL databases,
their transaction counters, and an earlier commit's code to serve as baseline.

A module of the benchmarks, not a benchmark: run alone it does nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import secrets
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.processes import ROOT, WallProcess

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
# The live path before the ordering fix (issue 8): one SQL query per
# reconnecting screen, events handed out by each writer's catch_up().
BEFORE_FIX = "7e4a7c1"


def dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _execute(url: str, sql: str) -> None:
    connection = await asyncpg.connect(dsn(url, "postgres"), timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def postgres_unreachable(url: str) -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    try:
        asyncio.run(_execute(url, "SELECT 1"))
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@contextlib.contextmanager
def fresh_database(url: str, label: str) -> Iterator[str]:
    """A new, empty database on the server of ``url``, dropped afterwards.

    Its own database, so that its counters in pg_stat_database count only
    this benchmark, whatever else runs on the server.
    """
    name = f"wall_bench_{label}_{secrets.token_hex(4)}"
    asyncio.run(_execute(url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_execute(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _transactions(url: str) -> int:
    # Read from another database: this connection's own transactions must not count.
    connection = await asyncpg.connect(dsn(url, "postgres"), timeout=5)
    try:
        value = await connection.fetchval(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1",
            make_url(url).database,
        )
        return int(value)
    finally:
        await connection.close()


def transactions(url: str) -> int:
    """Committed plus rolled-back transactions of the database so far.

    Backends send their counts to the statistics at the end of a transaction
    at most once a second and when they exit; ``pg_stat_force_next_flush()``
    only flushes the calling backend. So read this once the processes that
    did the work have closed their connections, after a short pause.
    """
    time.sleep(1.0)
    return asyncio.run(_transactions(url))


@contextlib.contextmanager
def checkout(commit: str, into: Path) -> Iterator[Path]:
    """The tree of ``commit`` (``git archive``: no worktree left behind)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit],
        check=True,
        capture_output=True,
    ).stdout
    into.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    yield into


def missing_migrations(before_code: Path) -> list[str]:
    """Head's migrations an older tree lacks: its ``wall serve`` refuses head's schema."""

    def names(root: Path) -> set[str]:
        return {path.name for path in (root / "alembic" / "versions").glob("0*.py")}

    return sorted(names(ROOT) - names(before_code))


def launch(server: WallProcess, within: float = 60) -> float:
    """Start ``server`` and return the monotonic time its /healthz first answered 200.

    Polls every 10 ms, more finely than ``WallProcess.start``.
    """
    with server.log_path.open("a", encoding="utf-8") as log:
        server.process = subprocess.Popen(
            [sys.executable, "-m", "wall", "serve", "--port", str(server.port)],
            env=server.env,
            cwd=server.cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    deadline = time.monotonic() + within
    with httpx.Client(timeout=2) as client:
        while True:
            if server.process.poll() is not None:
                raise RuntimeError(f"wall serve exited:\n{server.output()}")
            with contextlib.suppress(httpx.TransportError):
                if client.get(f"{server.url}/healthz").status_code == 200:
                    return time.monotonic()
            if time.monotonic() > deadline:
                raise RuntimeError(f"wall serve did not start:\n{server.output()}")
            time.sleep(0.01)


def serves_metrics(base_url: str) -> bool:
    return httpx.get(f"{base_url}/metrics", timeout=10).status_code == 200


def metrics(base_url: str) -> dict[str, float]:
    figures: dict[str, float] = {}
    for line in httpx.get(f"{base_url}/metrics", timeout=10).text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)  # label values may hold spaces
            figures[name] = float(value)
    return figures


def machine_load() -> str:
    """The 1-minute load average and cores: the benchmarks share the machine."""
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
