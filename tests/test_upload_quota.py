"""Per-client upload limits hold under real parallel requests, on both databases."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.factories import UPLOAD_FIELDS, decide, jpeg_bytes, sign_in, upload
from tests.live import running
from tests.processes import WallProcess, wall_environment
from tests.web.conftest import stored
from wall.app import create_app
from wall.config import Settings
from wall.db import Database
from wall.models import UploadSlot, utcnow
from wall.upload_quota import SLOT_TTL

SMALL_JPEG = jpeg_bytes((240, 240))


async def _parallel_uploads(url: str, count: int) -> list[httpx.Response]:
    """``count`` uploads from one client, all sent at once on their own connections."""
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as http:
        start = asyncio.Event()

        async def one() -> httpx.Response:
            await start.wait()
            return await http.post(
                "/upload",
                data=UPLOAD_FIELDS,
                files={"photo": ("photo.jpg", SMALL_JPEG, "image/jpeg")},
                headers={"Accept": "application/json"},
            )

        tasks = [asyncio.create_task(one()) for _ in range(count)]
        start.set()
        return list(await asyncio.gather(*tasks))


async def _slots_left(database_url: str) -> int:
    db = Database(database_url, null_pool=True)
    try:
        async with db.reading() as session:
            return int(await session.scalar(select(func.count()).select_from(UploadSlot)) or 0)
    finally:
        await db.dispose()


def _env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    return wall_environment(
        WALL_DATABASE_URL=database_url,
        WALL_DATA_DIR=str(data_dir),
        WALL_SECRET_KEY="serve-test-secret",
        WALL_ADMIN_PASSWORD="un-mot-de-passe-long",
        **extra,
    )


def _outcomes(answers: list[httpx.Response]) -> Counter[tuple[int, str]]:
    return Counter((a.status_code, a.json().get("error", "")) for a in answers)


@pytest.mark.parametrize(("count", "workers"), [(30, 1), (200, 2)])
async def test_parallel_uploads_stop_exactly_at_the_pending_cap(
    database_url: str, tmp_path: Path, count: int, workers: int
) -> None:
    env = _env(
        database_url,
        tmp_path / "data",
        WALL_MAX_PENDING_PER_CLIENT="5",
        WALL_UPLOAD_LIMIT_PER_HOUR="0",
        WALL_MAX_CONCURRENT_UPLOADS="0",  # the database rule alone is under test
    )
    with WallProcess(env, tmp_path, workers=workers) as server:
        answers = await _parallel_uploads(server.url, count)
    assert _outcomes(answers) == {(201, ""): 5, (429, "too_many_pending"): count - 5}
    assert all(int(a.headers["retry-after"]) > 0 for a in answers if a.status_code == 429)
    settings = Settings(database_url=database_url, data_dir=str(tmp_path / "data"))
    assert (await stored(settings)).photos == 5
    assert await _slots_left(database_url) == 0


async def test_parallel_uploads_stop_exactly_at_the_hourly_limit(
    database_url: str, tmp_path: Path
) -> None:
    env = _env(
        database_url,
        tmp_path / "data",
        WALL_MAX_PENDING_PER_CLIENT="0",
        WALL_UPLOAD_LIMIT_PER_HOUR="7",
        WALL_MAX_CONCURRENT_UPLOADS="0",
    )
    with WallProcess(env, tmp_path, workers=2) as server:
        answers = await _parallel_uploads(server.url, 40)
    assert _outcomes(answers) == {(201, ""): 7, (429, "upload_rate_limited"): 33}
    refused = [int(a.headers["retry-after"]) for a in answers if a.status_code == 429]
    assert all(3000 < wait <= 3601 for wait in refused)
    assert await _slots_left(database_url) == 0


async def _client_at(settings: Settings, address: str, calls: list[int]) -> None:
    """Uploads from ``address`` until refused; ``calls`` gets each status code."""
    async with running(create_app(settings, null_pool=True)) as asgi:
        transport = httpx.ASGITransport(app=asgi, client=(address, 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://wall.test") as http:
            calls.append((await upload(http, SMALL_JPEG)).status_code)


@pytest.mark.parametrize("rule", ["pending", "hourly"])
async def test_once_one_client_is_limited_another_is_still_accepted(
    settings: Settings, rule: str
) -> None:
    limited = settings.replace(
        max_pending_per_client=2 if rule == "pending" else 0,
        upload_limit_per_hour=2 if rule == "hourly" else 0,
    )
    calls: list[int] = []
    for _ in range(3):
        await _client_at(limited, "203.0.113.10", calls)
    assert calls == [201, 201, 429]
    await _client_at(limited, "198.51.100.20", calls)
    assert calls[-1] == 201
    await _client_at(limited, "203.0.113.10", calls)
    assert calls[-1] == 429


async def test_a_failed_upload_gives_its_slot_back(settings: Settings) -> None:
    capped = settings.replace(max_pending_per_client=1, upload_limit_per_hour=1)
    async with running(create_app(capped, null_pool=True)) as asgi:
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://wall.test") as http:
            broken = await upload(http, b"\xff\xd8\xff\xe0 not really a jpeg")
            assert broken.status_code in (415, 422), broken.text
            tiny = await upload(http, jpeg_bytes((50, 50)))
            assert tiny.json()["error"] == "image_too_small"
            assert (await upload(http, SMALL_JPEG)).status_code == 201
            assert (await upload(http, SMALL_JPEG)).status_code == 429
    assert await _slots_left(settings.database_url) == 0


async def test_approving_frees_a_pending_slot(settings: Settings) -> None:
    capped = settings.replace(max_pending_per_client=1)
    async with running(create_app(capped, null_pool=True)) as asgi:
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://wall.test") as http:
            first = await upload(http, SMALL_JPEG)
            assert (await upload(http, SMALL_JPEG)).status_code == 429
            csrf = await sign_in(http, settings)
            assert (await decide(http, csrf, first.json()["id"], "approve")).status_code == 200
            assert (await upload(http, SMALL_JPEG)).status_code == 201


async def _leave_slot(settings: Settings, client_address: str, age: dt.timedelta) -> None:
    """A slot as a process killed mid-upload leaves it."""
    from wall.uploads import client_hash

    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.writing() as session:
            session.add(
                UploadSlot(
                    client_hash=client_hash(str(settings.secret_key), client_address),
                    reserved_at=utcnow() - age,
                )
            )
    finally:
        await db.dispose()


async def test_a_slot_left_by_a_crash_counts_until_it_expires(settings: Settings) -> None:
    capped = settings.replace(max_pending_per_client=1)
    calls: list[int] = []
    await _leave_slot(capped, "203.0.113.30", dt.timedelta(minutes=1))
    await _client_at(capped, "203.0.113.30", calls)
    await _leave_slot(capped, "203.0.113.31", SLOT_TTL + dt.timedelta(minutes=1))
    await _client_at(capped, "203.0.113.31", calls)
    assert calls == [429, 201]
    assert await _slots_left(settings.database_url) == 1  # the live one; the stale one is gone
