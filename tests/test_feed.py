"""The public feed: newest approval first, cursors, ETag and 304, stats."""

from __future__ import annotations

import httpx

from tests.factories import decide, sign_in, upload
from tests.live import running
from wall.app import create_app
from wall.config import Settings


async def test_feed_pages_newest_first_with_etag(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    csrf = await sign_in(client, settings)
    ids = []
    for index in range(3):
        sent = await (upload(client, region="Estrie") if index else upload(client))
        photo_id = sent.json()["id"]
        assert (await decide(client, csrf, photo_id, "approve")).status_code == 200
        ids.append(photo_id)
    client.cookies.clear()  # the public, not a moderator

    first = await client.get("/api/wall/photos?limit=2")
    body = first.json()
    assert [p["id"] for p in body["photos"]] == [ids[2], ids[1]]
    assert body["count"] == 3 and body["next"]
    photo = body["photos"][0]
    assert set(photo) >= {
        "id",
        "source",
        "author",
        "caption",
        "alt",
        "permalink",
        "posted_at",
        "approved_at",
        "pinned",
        "region",
        "image",
    }
    assert photo["author"]["name"] is None  # no name shown unless asked
    assert "status" not in photo and "green_score" not in photo
    rest = (await client.get(f"/api/wall/photos?limit=2&before={body['next']}")).json()
    assert [p["id"] for p in rest["photos"]] == [ids[0]] and rest["next"] is None

    etag = first.headers["etag"]
    again = await client.get("/api/wall/photos?limit=2", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    await sign_in(client, settings, email="autre@ecole.test")
    csrf2 = (
        await client.post(
            "/api/auth/login", json={"email": "autre@ecole.test", "password": "mot-de-passe-solide"}
        )
    ).json()["csrf_token"]
    assert (await decide(client, csrf2, ids[2], "remove")).status_code == 200
    changed = await client.get("/api/wall/photos?limit=2", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag

    stats = (await client.get("/api/wall/stats")).json()
    assert stats["approved"] == 2
    assert stats["by_source"] == {"upload": 2}
    assert stats["by_region"] == {"Estrie": 1}
    assert sum(point["n"] for point in stats["timeline"]) == 2


async def test_bad_feed_parameters(client: httpx.AsyncClient) -> None:
    for query, code in [
        ("limit=0", "bad_limit"),
        ("limit=abc", "bad_limit"),
        ("before=%%%", "bad_cursor"),
        ("before=bm9wZQ", "bad_cursor"),
    ]:
        response = await client.get(f"/api/wall/photos?{query}")
        assert response.status_code == 400, query
        assert response.json()["error"] == code


async def test_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_the_upload_invitation_follows_the_public_url(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    answer = await client.get("/invite/upload.svg")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("image/svg+xml")
    assert answer.content.startswith(b"<svg") and b"<script" not in answer.content
    assert "http://wall.test/upload" in (await client.get("/")).text

    behind_proxy = create_app(settings.replace(public_url="https://mur.exemple.qc.ca/"))
    async with (
        running(behind_proxy) as asgi,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi), base_url="http://10.0.0.5"
        ) as internal,
    ):
        page = (await internal.get("/")).text
        other = (await internal.get("/invite/upload.svg")).content
    invitation = page.split('id="wall-invite"')[1].split("<p>")[1].split("</p>")[0]
    assert "https://mur.exemple.qc.ca/upload" in invitation and "10.0.0.5" not in invitation
    assert other != answer.content  # a different address, a different code
