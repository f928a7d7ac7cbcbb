"""The whole path of a photo: upload → pending → approve → wall → remove."""

from __future__ import annotations

import asyncio

import httpx

from tests.factories import ADMIN_EMAIL, decide, jpeg_bytes, sign_in, upload
from tests.live import LiveServer
from tests.sse import sse
from wall.config import Settings


async def test_upload_approve_remove_through_real_http(
    live_server: LiveServer, settings: Settings
) -> None:
    async with (
        httpx.AsyncClient(base_url=live_server.url) as visitor,
        httpx.AsyncClient(base_url=live_server.url) as moderator,
        sse(live_server.url) as stream,
    ):
        created = await upload(
            visitor,
            jpeg_bytes(),
            display_name="Léa",
            show_name="yes",
            caption="Tout en vert! 💚",
            region="Capitale-Nationale",
        )
        assert created.status_code == 201, created.text
        body = created.json()
        photo_id = body["id"]
        assert body["status"] == "pending"
        assert "/manage/" in body["manage_url"]

        # Pending: not on the public feed, its media answers 404 to the public.
        feed = (await visitor.get("/api/wall/photos")).json()
        assert feed["photos"] == [] and feed["count"] == 0
        csrf = await sign_in(moderator, settings)
        queue = (await moderator.get("/api/moderation/photos?status=pending")).json()
        assert [p["id"] for p in queue["photos"]] == [photo_id]
        pending = queue["photos"][0]
        assert pending["status"] == "pending"
        media_path = pending["media_url"]
        assert (await visitor.get(media_path)).status_code == 404
        assert (await moderator.get(media_path)).status_code == 200

        approved = await decide(moderator, csrf, photo_id, "approve")
        assert approved.status_code == 200, approved.text
        event = await stream.next_event(within=2)
        assert event.event == "photo.approved"
        assert event.data["id"] == photo_id
        assert event.data["author"]["name"] == "Léa"
        assert event.data["caption"] == "Tout en vert! 💚"
        assert int(event.id or 0) > 0

        feed = (await visitor.get("/api/wall/photos")).json()
        assert [p["id"] for p in feed["photos"]] == [photo_id]
        image_url = feed["photos"][0]["image"]["url"]
        served = await visitor.get(image_url)
        assert served.status_code == 200
        assert served.headers["content-type"] in ("image/jpeg", "image/webp")
        assert served.headers["cache-control"] == "public, max-age=30, s-maxage=30"

        removed = await decide(moderator, csrf, photo_id, "remove", reason="demande du parent")
        assert removed.status_code == 200
        assert removed.json()["status"] == "removed"
        event = await stream.next_event(within=2)
        assert event.event == "photo.removed"
        assert event.data == {"id": photo_id}
        assert (await visitor.get("/api/wall/photos")).json()["photos"] == []
        assert (await visitor.get(image_url)).status_code == 404
        assert (await visitor.get(feed["photos"][0]["image"]["thumb_url"])).status_code == 404

        # The audit trail names who did what and why.
        audit = await _decisions(settings, photo_id)
        assert audit == [
            ("approve", "pending", "approved", ADMIN_EMAIL, None),
            ("remove", "approved", "removed", ADMIN_EMAIL, "demande du parent"),
        ]


async def _decisions(settings: Settings, photo_id: str) -> list[tuple[object, ...]]:
    from sqlalchemy import select

    from wall.db import Database
    from wall.models import Decision, Moderator

    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            rows = await session.execute(
                select(
                    Decision.action,
                    Decision.from_status,
                    Decision.to_status,
                    Moderator.email,
                    Decision.reason,
                )
                .join(Moderator, Moderator.id == Decision.moderator_id)
                .where(Decision.photo_id == photo_id)
                .order_by(Decision.id)
            )
            return [tuple(row) for row in rows]
    finally:
        await db.dispose()


async def test_an_uploader_withdraws_through_the_manage_link(
    live_server: LiveServer, settings: Settings
) -> None:
    async with (
        httpx.AsyncClient(base_url=live_server.url) as visitor,
        httpx.AsyncClient(base_url=live_server.url) as moderator,
        sse(live_server.url) as stream,
    ):
        created = (await upload(visitor)).json()
        csrf = await sign_in(moderator, settings)
        assert (await decide(moderator, csrf, created["id"], "approve")).status_code == 200
        assert (await stream.next_event(within=2)).event == "photo.approved"

        page = await visitor.get(created["manage_url"])
        assert page.status_code == 200 and "affichée sur le mur" in page.text
        withdrawn = await visitor.post(created["manage_url"], data={"confirm": "yes"})
        assert withdrawn.status_code == 303
        event = await stream.next_event(within=2)
        assert (event.event, event.data) == ("photo.removed", {"id": created["id"]})
        assert "supprimée définitivement" in (await visitor.get(created["manage_url"])).text
        assert (await visitor.get("/manage/not-a-real-token")).status_code == 404
        await asyncio.sleep(0)
