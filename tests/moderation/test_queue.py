"""The queue's listing: filters and tabs, the intake pause, the peak-day numbers."""

from __future__ import annotations

import datetime as dt

import httpx

from tests.factories import decide, sign_in, upload
from tests.moderation.factories import age, network_photo
from wall.config import Settings
from wall.models import Photo


async def test_tabs_search_and_filters(client: httpx.AsyncClient, settings: Settings) -> None:
    trees = (await upload(client, caption="Nos ÉRABLES en vert", region="Estrie")).json()["id"]
    bikes = (await upload(client, caption="À vélo", region="Laval", display_name="Zoé")).json()[
        "id"
    ]
    polled = await network_photo(
        settings, author_handle="@ecole@mastodon.test", flags=["sensitive"]
    )
    csrf = await sign_in(client, settings)
    for photo_id in (trees, bikes, polled):
        assert (await decide(client, csrf, photo_id, "approve")).status_code == 200

    async def ids(query: str) -> list[str]:
        body = (await client.get(f"/api/moderation/photos?status=approved&{query}")).json()
        assert body["count"] == len(body["photos"])
        return sorted(p["id"] for p in body["photos"])

    assert await ids("q=%C3%A9rables") == [trees]  # case folded
    assert await ids("q=zo%C3%A9") == [bikes]  # by author
    assert await ids("q=ecole%40mastodon") == [polled]  # by handle
    assert await ids("source=mastodon") == [polled]
    assert await ids("source=upload&region=Laval") == [bikes]
    assert await ids("flag=sensitive") == [polled]
    assert await ids("flag=duplicate") == sorted([bikes])  # the second upload of the same image
    bad = await client.get("/api/moderation/photos?status=approved&flag=%25")
    assert bad.status_code == 400 and bad.json()["error"] == "bad_flag"
    assert (await client.get("/api/moderation/photos?status=removed")).json()["count"] == 0


async def test_pausing_intake_hides_new_photos_until_resumed(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    before = (await upload(client)).json()["id"]
    await age(settings, Photo, ("submitted_at",), dt.timedelta(minutes=1), id=before)
    csrf = await sign_in(client, settings)
    paused = await client.post(
        "/api/moderation/intake", json={"paused": True}, headers={"X-CSRF-Token": csrf}
    )
    assert paused.status_code == 200 and paused.json()["paused"] is True
    during = (await upload(client)).json()["id"]  # the upload is still accepted and stored
    listing = (await client.get("/api/moderation/photos")).json()
    assert [p["id"] for p in listing["photos"]] == [before] and listing["count"] == 1
    stats = (await client.get("/api/moderation/stats")).json()
    assert (stats["pending"], stats["pending_total"]) == (1, 2)
    assert stats["intake_paused_since"] is not None
    await client.post(
        "/api/moderation/intake", json={"paused": False}, headers={"X-CSRF-Token": csrf}
    )
    listing = (await client.get("/api/moderation/photos")).json()
    assert [p["id"] for p in listing["photos"]] == [before, during]


async def test_peak_day_numbers(client: httpx.AsyncClient, settings: Settings) -> None:
    ids = [(await upload(client)).json()["id"] for _ in range(3)]
    await age(settings, Photo, ("submitted_at",), dt.timedelta(minutes=7), id=ids[0])
    csrf = await sign_in(client, settings)
    await decide(client, csrf, ids[1], "approve")
    await decide(client, csrf, ids[2], "reject")
    stats = (await client.get("/api/moderation/stats")).json()
    assert stats["pending"] == 1
    assert stats["oldest_pending_seconds"] >= 7 * 60
    assert stats["decisions_per_minute"] == [
        {"moderator": "admin@ecole.test", "decisions": 2, "per_minute": 0.2}
    ]
    assert stats["intake_paused_since"] is None
