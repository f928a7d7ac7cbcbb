"""The live event stream: resume with Last-Event-ID, reset when too old, heartbeats."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.factories import decide, sign_in, upload
from tests.live import LiveServer
from tests.sse import sse
from wall import events
from wall.config import Settings
from wall.db import Database


async def _approved_photo(client: httpx.AsyncClient, csrf: str) -> str:
    photo_id: str = (await upload(client)).json()["id"]
    assert (await decide(client, csrf, photo_id, "approve")).status_code == 200
    return photo_id


async def _until_hub_reaches(base_url: str, event_id: int) -> None:
    """Wait until the server's hub has read the rows written by another engine."""
    async with httpx.AsyncClient(base_url=base_url) as client, asyncio.timeout(10):
        # Polling another process's state over HTTP: there is no local event to await.
        while (await client.get("/api/wall/photos")).json()["last_event_id"] < event_id:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def test_reconnecting_client_gets_what_it_missed(
    live_server: LiveServer, settings: Settings
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        csrf = await sign_in(client, settings)
        async with sse(live_server.url) as stream:
            first = await _approved_photo(client, csrf)
            seen = await stream.next_event(within=2)
            assert seen.data["id"] == first
        # The screen is offline while two more changes happen.
        second = await _approved_photo(client, csrf)
        assert (await decide(client, csrf, first, "remove")).status_code == 200
        async with sse(live_server.url, last_event_id=seen.id) as stream:
            missed = [await stream.next_event(within=2) for _ in range(2)]
        assert [(e.event, e.data["id"]) for e in missed] == [
            ("photo.approved", second),
            ("photo.removed", first),
        ]
        assert int(missed[0].id or 0) < int(missed[1].id or 0)
        # The query form (used by the wall page's first connection) resumes the same way.
        async with sse(live_server.url, after=int(seen.id or 0)) as stream:
            again = await stream.next_event(within=2)
        assert again.id == missed[0].id


async def test_a_client_from_the_future_is_told_to_reset(live_server: LiveServer) -> None:
    async with sse(live_server.url, last_event_id="999999") as stream:
        event = await stream.next_event(within=2)
    assert (event.event, event.data) == ("reset", {})


async def test_a_client_too_far_behind_is_told_to_reset(
    live_server: LiveServer, settings: Settings
) -> None:
    # More public events than one replay may carry, written as real rows.
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.writing() as session:
            for index in range(events.REPLAY_LIMIT + 1):
                events.append(session, "photo.removed", {"id": f"p{index}"}, f"p{index}")
    finally:
        await db.dispose()
    await _until_hub_reaches(live_server.url, events.REPLAY_LIMIT + 1)
    async with sse(live_server.url, last_event_id="0") as stream:
        event = await stream.next_event(within=3)
    assert event.event == "reset"
    assert int(event.id or 0) == events.REPLAY_LIMIT + 1
    async with sse(live_server.url, last_event_id="1") as stream:
        replayed = await stream.next_event(within=3)
    assert (replayed.event, replayed.data) == ("photo.removed", {"id": "p1"})


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.replace(heartbeat_seconds=0.3)


async def test_heartbeat_comments_keep_the_connection_alive(live_server: LiveServer) -> None:
    async with sse(live_server.url) as stream:
        with pytest.raises(TimeoutError):
            await stream.next_event(within=1.2)
    assert len(stream.comments) >= 2


async def test_bad_last_event_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/wall/events", headers={"Last-Event-ID": "abc"})
    assert response.status_code == 400
    assert response.json()["error"] == "bad_last_event_id"
