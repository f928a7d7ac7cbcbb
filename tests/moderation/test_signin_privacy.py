"""A failed sign-in keeps no typed email: not in any table, not in any log line."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
from sqlalchemy import select

from tests.factories import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.processes import WallProcess, wall_environment
from wall.db import Database
from wall.models import AuditEntry, Base, LoginAttempts
from wall.pseudonyms import pseudonym

SECRET = "signin-privacy-secret"
# What people really type into the email field: a child's name.
CANARY = "Zoelie-Canary Tremblay"
CANARY_TEXTS = ("zoelie-canary", "Zoelie-Canary", "tremblay", "Tremblay")


async def _every_row(database_url: str) -> str:
    db = Database(database_url, null_pool=True)
    try:
        async with db.reading() as session:
            dump = []
            for table in Base.metadata.sorted_tables:
                rows = (await session.execute(select(table))).all()
                dump += [f"{table.name}: {tuple(row)!r}" for row in rows]
    finally:
        await db.dispose()
    return "\n".join(dump)


async def _failed_rows(database_url: str) -> tuple[list[str], set[str]]:
    db = Database(database_url, null_pool=True)
    try:
        async with db.reading() as session:
            actors = await session.scalars(
                select(AuditEntry.actor)
                .where(AuditEntry.action == "auth.login_failed")
                .order_by(AuditEntry.id)
            )
            keys = await session.scalars(select(LoginAttempts.key))
            return list(actors.all()), set(keys.all())
    finally:
        await db.dispose()


def _sqlite_bytes(folder: Path) -> str:
    """The database file and its WAL, byte for byte."""
    files = sorted(folder.glob("wall.db*"))
    assert files
    return b"".join(path.read_bytes() for path in files).decode("latin-1")


def _found(text: str) -> list[str]:
    return [canary for canary in CANARY_TEXTS if canary in text]


async def test_a_name_typed_as_the_email_is_kept_nowhere(database_url: str, tmp_path: Path) -> None:
    env = wall_environment(
        WALL_DATABASE_URL=database_url,
        WALL_DATA_DIR=str(tmp_path / "data"),
        WALL_SECRET_KEY=SECRET,
        WALL_ADMIN_EMAIL=ADMIN_EMAIL,
        WALL_ADMIN_PASSWORD=ADMIN_PASSWORD,
    )
    with WallProcess(env, tmp_path) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            for _ in range(2):
                answer = await client.post(
                    "/api/auth/login", json={"email": CANARY, "password": "devine"}
                )
                assert answer.status_code == 401
            page = await client.post("/login", data={"email": CANARY, "password": "devine"})
            assert page.status_code == 401
            known = await client.post(
                "/api/auth/login", json={"email": ADMIN_EMAIL, "password": "devine"}
            )
            assert known.status_code == 401
        server.terminate()
        logs = server.output()

    dump = await _every_row(database_url)
    assert "auth.login_failed" in dump, "the attempts must be recorded"
    assert _found(dump) == []
    assert _found(logs) == []
    if database_url.startswith("sqlite"):
        assert _found(_sqlite_bytes(tmp_path)) == []

    actors, keys = await _failed_rows(database_url)
    typed = CANARY.strip().lower()
    hidden = "unknown:" + pseudonym(SECRET, "sign-in email", typed)
    # Repeated tries of one value stay visible as one pseudonym; a known
    # account is named by its own stored address.
    assert actors == [hidden, hidden, hidden, ADMIN_EMAIL]
    # Keyed: a plain digest of a guessed name finds nothing.
    plain = hashlib.sha256(typed.encode()).hexdigest()
    assert not any(plain[:16] in key for key in keys)
    assert f"account:{pseudonym(SECRET, 'sign-in account', typed)}" in keys
