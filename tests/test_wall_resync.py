"""The wall page's safety net: tiles that drifted from the feed are corrected
even when the event that should have moved them never arrived."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import APIResponse, Page, Route
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.browser import chromium_page
from tests.factories import ADMIN_EMAIL, ADMIN_PASSWORD, UPLOAD_FIELDS, add_moderator, jpeg_bytes
from tests.live import LiveServer
from wall.app import create_app
from wall.config import Settings
from wall.db import Database
from wall.models import Event, Photo, utcnow

FEED = "/api/wall/photos"
DEADLINE_MS = 30_000  # a resync every 5 s, answers cached for at most 1 s


@dataclass(frozen=True)
class FeedRequest:
    status: int
    if_none_match: str | None
    etag: str | None


class FeedLog:
    """ASGI middleware recording each feed request the server answers."""

    def __init__(self, app: ASGIApp, log: list[FeedRequest]) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The pinned photos' list, asked for once at load, is no resync.
        pinned = b"pinned=1" in scope.get("query_string", b"")
        if scope["type"] != "http" or scope["path"] != FEED or pinned:
            await self.app(scope, receive, send)
            return
        sent = dict(scope["headers"]).get(b"if-none-match")

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                etag = dict(message.get("headers", [])).get(b"etag")
                self.log.append(
                    FeedRequest(
                        message["status"],
                        sent.decode() if sent else None,
                        etag.decode() if etag else None,
                    )
                )
            await send(message)

        await self.app(scope, receive, record)


@contextmanager
def wall_server(settings: Settings) -> Iterator[tuple[LiveServer, list[FeedRequest]]]:
    log: list[FeedRequest] = []
    app: Starlette = create_app(settings.replace(answer_cache_seconds=1.0), null_pool=True)
    app.add_middleware(FeedLog, log=log)
    server = LiveServer(app)
    server.start()
    try:
        yield server, log
    finally:
        server.stop()


def _upload(base_url: str, caption: str) -> str:
    response = httpx.post(
        f"{base_url}/upload",
        data={**UPLOAD_FIELDS, "caption": caption},
        files={"photo": ("vert.jpg", jpeg_bytes(), "image/jpeg")},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201, response.text
    photo_id: str = response.json()["id"]
    return photo_id


def _approved(base_url: str, settings: Settings, captions: list[str]) -> list[str]:
    asyncio.run(add_moderator(settings))
    with httpx.Client(base_url=base_url) as moderator:
        login = moderator.post(
            "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        csrf = login.json()["csrf_token"]
        ids = []
        for caption in captions:
            photo_id = _upload(base_url, caption)
            decided = moderator.post(
                f"/api/moderation/photos/{photo_id}/decision",
                json={"action": "approve"},
                headers={"X-CSRF-Token": csrf},
            )
            assert decided.status_code == 200
            ids.append(photo_id)
    return ids


def _behind_the_wall(settings: Settings, photo_id: str, status: str) -> None:
    """Change a photo's status in the database and write no event: a lost event."""

    async def change() -> None:
        db = Database(settings.database_url, null_pool=True)
        try:
            async with db.writing() as session:
                events_before = await session.scalar(select(func.count()).select_from(Event))
                photo = await session.get(Photo, photo_id)
                assert photo is not None
                photo.status = status
                if status == "approved":
                    photo.approved_at = photo.decided_at = utcnow()
                await session.flush()
                events_after = await session.scalar(select(func.count()).select_from(Event))
                assert events_after == events_before
        finally:
            await db.dispose()

    # Playwright's synchronous API runs its own event loop in this thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, change()).result()


def _tile_ids(page: Page) -> list[str | None]:
    """The photos on screen in the layout's order (the newest approval first)."""
    shown: list[str | None] = page.evaluate("() => window.VagueVerte.wall.visible()")
    return shown


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_MS / 1000
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.mark.browser
def test_the_wall_repairs_tiles_whose_events_were_lost(settings: Settings) -> None:
    with wall_server(settings) as (server, log):
        older, removed = _approved(server.url, settings, ["Ancienne", "Retirée en silence"])
        silent = _upload(server.url, "Approuvée en silence")
        with chromium_page() as page:
            page.goto(server.url + "/?resync=5")
            page.wait_for_selector(f'li[data-id="{removed}"]', timeout=5000)
            page.wait_for_selector(f'li[data-id="{older}"]', timeout=5000)
            assert _tile_ids(page) == [removed, older]
            page.evaluate("window.__sameDocument = true")

            _behind_the_wall(settings, removed, "removed")
            page.wait_for_selector(
                f'li[data-id="{removed}"]', state="detached", timeout=DEADLINE_MS
            )
            assert _tile_ids(page) == [older]

            _behind_the_wall(settings, silent, "approved")
            page.wait_for_selector(f'li[data-id="{silent}"]', timeout=DEADLINE_MS)
            assert _tile_ids(page) == [silent, older]  # newest approval first
            assert "Approuvée en silence" in page.inner_text("#wall-grid")

            # Nothing changes any more: the next resync names the answer it holds
            # and gets a 304.
            settled = len(log)
            _wait_for(lambda: any(r.status == 304 for r in log[settled:]), "a 304 resync")
            repeat = next(r for r in log[settled:] if r.status == 304)
            last_full = [r for r in log[:settled] if r.status == 200][-1]
            assert repeat.if_none_match == last_full.etag
            assert _tile_ids(page) == [silent, older]
            assert page.evaluate("window.__sameDocument") is True  # never reloaded
    # The first load asked for everything; every later request named an ETag.
    assert log[0].if_none_match is None
    assert all(r.if_none_match for r in log[1:])


@pytest.mark.browser
def test_the_wall_resyncs_when_it_becomes_visible_again(settings: Settings) -> None:
    with wall_server(settings) as (server, log):
        older, removed = _approved(server.url, settings, ["Ancienne", "Retirée en silence"])
        with chromium_page() as page:
            page.goto(server.url + "/?resync=3600")  # the timer stays quiet during the test
            page.wait_for_selector(f'li[data-id="{removed}"]', timeout=5000)
            _behind_the_wall(settings, removed, "removed")
            time.sleep(1.5)  # the feed answer in the server's cache expires after 1 s
            requests = len(log)
            # Headless Chromium never hides a page: play the browser's part of a
            # tab coming back to the front.
            page.evaluate(
                """() => {
                  Object.defineProperty(document, "visibilityState", {
                    configurable: true, get: () => "visible" });
                  document.dispatchEvent(new Event("visibilitychange"));
                }"""
            )
            page.wait_for_selector(
                f'li[data-id="{removed}"]', state="detached", timeout=DEADLINE_MS
            )
            assert _tile_ids(page) == [older]
            assert len(log) == requests + 1


@pytest.mark.browser
def test_a_feed_answer_older_than_an_event_does_not_undo_it(settings: Settings) -> None:
    with wall_server(settings) as (server, _log):
        older, removed = _approved(server.url, settings, ["Ancienne", "Retirée"])
        latest = _upload(server.url, "Toute nouvelle")
        held: list[tuple[Route, APIResponse | None]] = []

        def hold_resyncs(route: Route) -> None:
            # The first request is the page's load; each resync after it is held.
            # The first one is answered from the server at once, as a slow
            # network would deliver it after the events below.
            if route.request.headers.get("if-none-match") is None:
                route.continue_()
                return
            fresh = {k: v for k, v in route.request.headers.items() if k != "if-none-match"}
            held.append((route, None if held else route.fetch(headers=fresh)))

        with chromium_page() as page:
            page.route(f"**{FEED}*", hold_resyncs)
            page.goto(server.url + "/?resync=5")
            page.wait_for_selector(f'li[data-id="{removed}"]', timeout=5000)
            _pump_until(page, lambda: len(held) == 1, "the first resync")

            moderator, csrf = _moderator(server.url)
            for photo_id, action in [(removed, "remove"), (latest, "approve")]:
                decided = moderator.post(
                    f"/api/moderation/photos/{photo_id}/decision",
                    json={"action": action},
                    headers={"X-CSRF-Token": csrf},
                )
                assert decided.status_code == 200
            moderator.close()
            page.wait_for_selector(f'li[data-id="{removed}"]', state="detached", timeout=5000)
            page.wait_for_selector(f'li[data-id="{latest}"]', timeout=5000)

            route, answer = held[0]
            assert answer is not None and answer.status == 200
            assert removed in answer.text() and latest not in answer.text()
            route.fulfill(response=answer)
            # The next resync is asked for once this one is applied; it stays held.
            _pump_until(page, lambda: len(held) == 2, "the second resync")
            assert _tile_ids(page) == [latest, older]


def _moderator(base_url: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base_url)
    login = client.post("/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert login.status_code == 200
    return client, login.json()["csrf_token"]


def _pump_until(page: Page, condition: Callable[[], bool], what: str) -> None:
    """Wait while letting Playwright run the page's route handlers."""
    deadline = time.monotonic() + DEADLINE_MS / 1000
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(100)


async def test_the_resync_period_is_a_number_of_seconds(client: httpx.AsyncClient) -> None:
    for query, period in [("", 180), ("?resync=30", 30), ("?resync=1", 5), ("?resync=9999", 3600)]:
        page = await client.get("/" + query)
        assert page.status_code == 200
        assert f'"resync": {period}' in page.text
    refused = await client.get("/?resync=vite", headers={"Accept": "application/json"})
    assert refused.status_code == 400
    assert refused.json()["error"] == "bad_resync"
    assert (await client.get("/?resync=vite")).status_code == 400  # the French page
