"""Live: a takedown reaches open wall screens and the media URL; the queue has its own stream."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import decide, sign_in, upload
from tests.live import LiveServer
from tests.sse import SSEReader, sse
from wall.config import Settings


async def test_takedown_reaches_an_open_screen_and_the_media(
    live_server: LiveServer, settings: Settings
) -> None:
    async with (
        httpx.AsyncClient(base_url=live_server.url) as visitor,
        httpx.AsyncClient(base_url=live_server.url) as moderator,
        sse(live_server.url) as screen,
    ):
        photo_id = (await upload(visitor)).json()["id"]
        csrf = await sign_in(moderator, settings, role="moderator")
        approved = (await decide(moderator, csrf, photo_id, "approve")).json()
        event = await screen.next_event()
        assert (event.event, event.data["id"]) == ("photo.approved", photo_id)
        image_url = approved["image"]["url"]
        assert (await visitor.get(image_url)).status_code == 200
        removed = await decide(moderator, csrf, photo_id, "remove", reason="Visage d'un enfant")
        assert removed.status_code == 200
        event = await screen.next_event()
        assert (event.event, event.data) == ("photo.removed", {"id": photo_id})
        assert (await visitor.get(image_url)).status_code == 404
        assert (await visitor.get(approved["media_url"])).status_code == 404


async def test_the_moderators_stream_shows_new_photos_and_claims(
    live_server: LiveServer, settings: Settings
) -> None:
    async with (
        httpx.AsyncClient(base_url=live_server.url) as visitor,
        httpx.AsyncClient(base_url=live_server.url, timeout=httpx.Timeout(10, read=30)) as mod,
    ):
        refused = await visitor.get("/api/moderation/events")
        assert refused.status_code == 401
        csrf = await sign_in(mod, settings, role="moderator")
        async with mod.stream("GET", "/api/moderation/events") as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            stream = SSEReader(response)
            photo_id = (await upload(visitor)).json()["id"]
            event = await stream.next_event()
            assert (event.event, event.data) == ("queue.submitted", {"id": photo_id})
            await mod.post(
                f"/api/moderation/photos/{photo_id}/claim", headers={"X-CSRF-Token": csrf}
            )
            event = await stream.next_event()
            assert event.event == "queue.claimed" and event.data["by"] == "admin@ecole.test"
            await decide(mod, csrf, photo_id, "reject")
            event = await stream.next_event()
            assert event.event == "queue.decided"
            assert event.data["status"] == "rejected"


async def test_logging_out_everywhere_ends_the_open_stream(
    live_server: LiveServer, settings: Settings
) -> None:
    async with (
        httpx.AsyncClient(base_url=live_server.url) as visitor,
        httpx.AsyncClient(base_url=live_server.url, timeout=httpx.Timeout(10, read=30)) as mod,
    ):
        csrf = await sign_in(mod, settings, role="moderator")
        async with mod.stream("GET", "/api/moderation/events") as response:
            stream = SSEReader(response)
            await upload(visitor)
            assert (await stream.next_event()).event == "queue.submitted"
            ended = await mod.post("/api/auth/logout-all", headers={"X-CSRF-Token": csrf})
            assert ended.status_code == 200
            await upload(visitor)  # the next event finds the session gone
            with pytest.raises(EOFError):
                await stream.next_event()
