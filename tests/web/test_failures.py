"""The catch-all: an unexpected failure answers the contract's JSON or the French page."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import text

from tests.live import running
from wall.app import create_app
from wall.config import Settings
from wall.db import Database


@asynccontextmanager
async def photos_table_gone(settings: Settings) -> AsyncIterator[None]:
    """A real fault: the photos table is away while the block runs."""
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.engine.begin() as connection:
            await connection.execute(text("ALTER TABLE photos RENAME TO photos_away"))
        yield
    finally:
        async with db.engine.begin() as connection:
            await connection.execute(text("ALTER TABLE photos_away RENAME TO photos"))
        await db.dispose()


SECURITY = ("content-security-policy", "x-content-type-options", "referrer-policy")


async def test_an_unexpected_failure_answers_json_with_headers_and_one_log_line(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with running(create_app(settings, null_pool=True)) as asgi:
        transport = httpx.ASGITransport(app=asgi)  # raises if an exception escapes the app
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://wall.test") as http,
            photos_table_gone(settings),
        ):
            caplog.clear()
            answer = await http.get("/api/wall/stats")
            page = await http.get("/manage/some-token", headers={"Accept": "text/html"})
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["error"] == "internal_error"
    assert body["message"].startswith("Une erreur inattendue")
    assert body["message_en"].startswith("Something went wrong")
    assert body["request_id"] == answer.headers["x-request-id"]
    assert all(name in answer.headers for name in SECURITY)

    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "Une erreur inattendue" in page.text
    assert page.headers["x-request-id"] in page.text
    assert all(name in page.headers for name in SECURITY)

    for rid in (answer.headers["x-request-id"], page.headers["x-request-id"]):
        records = [r for r in caplog.records if rid in r.getMessage()]
        assert len(records) == 1
        assert records[0].levelno == logging.ERROR and records[0].exc_info is not None


async def test_every_answer_has_its_own_request_id(client: httpx.AsyncClient) -> None:
    ids = {(await client.get(path)).headers["x-request-id"] for path in ("/", "/healthz", "/nope")}
    assert len(ids) == 3
