"""``GET /media/{name}``: the public directory, cache headers, ``304``, and no query."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import event, select
from starlette.types import Receive, Scope, Send

from tests.factories import decide, jpeg_bytes, sign_in, upload
from tests.moderation.factories import database
from wall.app import create_app
from wall.config import Settings
from wall.media import MediaStore
from wall.models import MediaFile
from wall.moderation import service
from wall.moderation.states import Action


@asynccontextmanager
async def app_with_state(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """A client for the app and the app's own shared objects (to watch its queries)."""
    app = create_app(settings, null_pool=True)
    async with app.router.lifespan_context(app) as state:
        shared = dict(state or {})

        async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
            await app({**scope, "state": dict(shared)}, receive, send)

        transport = httpx.ASGITransport(app=with_state)
        async with httpx.AsyncClient(transport=transport, base_url="http://wall.test") as client:
            yield client, shared


async def approved_photo(
    client: httpx.AsyncClient, settings: Settings, color: tuple[int, int, int] = (40, 170, 70)
) -> tuple[str, str, dict[str, Any]]:
    """Upload a real JPEG and approve it: (photo id, CSRF token, its public Photo)."""
    created = await upload(client, jpeg_bytes(color=color))
    assert created.status_code == 201, created.text
    photo_id = created.json()["id"]
    csrf = await sign_in(client, settings)
    approved = await decide(client, csrf, photo_id, "approve")
    assert approved.status_code == 200, approved.text
    return photo_id, csrf, approved.json()


async def files_of(settings: Settings, photo_id: str) -> dict[str, bool]:
    async with database(settings) as db, db.reading() as session:
        rows = await session.execute(
            select(MediaFile.name, MediaFile.public).where(MediaFile.photo_id == photo_id)
        )
        return {name: public for name, public in rows}


def published(settings: Settings) -> set[str]:
    return MediaStore(settings.media_path).published()


async def test_an_approved_file_carries_short_shared_cache_headers_and_answers_304(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    _, _, photo = await approved_photo(client, settings)
    url = photo["image"]["url"]
    name = url.rpartition("/")[2]
    anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://wall.test")
    served = await anonymous.get(url)
    assert served.status_code == 200
    assert served.headers["cache-control"] == "public, max-age=30, s-maxage=30"
    assert served.headers["etag"] == f'"{name.partition(".")[0]}"'
    assert served.headers["content-type"] == "image/jpeg"
    last_modified = served.headers["last-modified"]

    for headers in (
        {"If-None-Match": served.headers["etag"]},
        {"If-None-Match": f'"other", W/{served.headers["etag"]}'},
        {"If-None-Match": "*"},
        {"If-Modified-Since": last_modified},
    ):
        again = await anonymous.get(url, headers=headers)
        assert (again.status_code, again.content) == (304, b""), headers
        assert again.headers["etag"] == served.headers["etag"]
        assert again.headers["cache-control"] == served.headers["cache-control"]
    for headers in (
        {"If-None-Match": '"something-else"'},
        {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"},
        # If-None-Match decides when both are sent.
        {"If-None-Match": '"something-else"', "If-Modified-Since": last_modified},
    ):
        again = await anonymous.get(url, headers=headers)
        assert again.status_code == 200 and again.content == served.content, headers
    head = await anonymous.head(url)
    assert head.status_code == 200 and head.headers["etag"] == served.headers["etag"]
    await anonymous.aclose()


async def test_the_cache_lifetime_follows_the_setting(
    settings: Settings,
) -> None:
    async with app_with_state(settings.replace(media_cache_seconds=7)) as (client, _):
        _, _, photo = await approved_photo(client, settings)
        served = await client.get(photo["image"]["thumb_url"])
    assert served.headers["cache-control"] == "public, max-age=7, s-maxage=7"


async def test_the_public_directory_holds_approved_public_files_only(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    created = await upload(client, jpeg_bytes())
    photo_id = created.json()["id"]
    files = await files_of(settings, photo_id)
    assert files and published(settings) == set()  # pending: nothing public
    csrf = await sign_in(client, settings)
    assert (await decide(client, csrf, photo_id, "approve")).status_code == 200
    public = {name for name, is_public in files.items() if is_public}
    assert public and published(settings) == public
    store = MediaStore(settings.media_path)
    for name in public:  # a hard link: the same bytes, no copy
        private, shown = store.path(name), store.public_path(name)
        assert private is not None and shown is not None
        assert os.stat(private).st_ino == os.stat(shown).st_ino
    assert (await decide(client, csrf, photo_id, "remove")).status_code == 200
    assert published(settings) == set()  # gone before the moderator's answer came back
    assert set(await files_of(settings, photo_id)) == set(files)  # kept for moderators


async def test_undoing_an_approval_takes_the_files_out(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    _, csrf, photo = await approved_photo(client, settings)
    assert published(settings)
    undone = await client.post("/api/moderation/undo", headers={"X-CSRF-Token": csrf})
    assert undone.status_code == 200, undone.text
    assert published(settings) == set()
    seen = await client.get(photo["image"]["url"])
    assert seen.headers["cache-control"] == "private, no-store"  # moderators only, uncached
    # Never 304: a proxy revalidating its expired public copy with a moderator's
    # request would take it as "still valid" and serve the removed photo again.
    again = await client.get(photo["image"]["url"], headers={"If-None-Match": seen.headers["etag"]})
    assert again.status_code == 200 and again.content == seen.content


async def test_a_file_shared_with_another_approved_photo_stays_public(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    first, csrf, photo = await approved_photo(client, settings)
    second = (await upload(client, jpeg_bytes())).json()["id"]
    assert (await decide(client, csrf, second, "approve")).status_code == 200
    assert set(await files_of(settings, first)) == set(await files_of(settings, second))
    assert (await decide(client, csrf, first, "remove")).status_code == 200
    assert (await client.get(photo["image"]["url"])).headers["cache-control"].startswith("public")
    assert (await decide(client, csrf, second, "remove")).status_code == 200
    assert published(settings) == set()


async def test_a_public_file_is_served_without_a_database_query(settings: Settings) -> None:
    async with app_with_state(settings) as (client, state):
        _, _, photo = await approved_photo(client, settings)
        statements: list[str] = []

        def seen(*args: Any) -> None:
            statements.append(str(args[2]))

        engine = state["db"].engine.sync_engine
        event.listen(engine, "before_cursor_execute", seen)
        try:
            visitor = httpx.AsyncClient(transport=client._transport, base_url="http://wall.test")
            assert (await visitor.get(photo["image"]["url"])).status_code == 200
            assert statements == []
            # The control: a file that is not public costs a lookup.
            assert (await visitor.get("/media/" + "0" * 40 + ".jpg")).status_code == 404
            await visitor.aclose()
        finally:
            event.remove(engine, "before_cursor_execute", seen)
    assert statements == []  # the unknown name is not even stored: no lookup either


async def test_starting_brings_the_public_directory_in_line_with_the_database(
    settings: Settings,
) -> None:
    async with app_with_state(settings) as (client, _):
        kept_id, _, kept = await approved_photo(client, settings)
        removed_id, _, _ = await approved_photo(client, settings, color=(30, 150, 60))
    store = MediaStore(settings.media_path)
    kept_names = {n for n, public in (await files_of(settings, kept_id)).items() if public}
    removed_names = {n for n, public in (await files_of(settings, removed_id)).items() if public}
    # While no process ran: one photo removed, and one link lost.
    async with database(settings) as db, db.writing() as session:
        await service.decide(session, removed_id, Action.REMOVE, rule="test")
    lost = sorted(kept_names)[0]
    store.unpublish(lost)
    assert removed_names <= store.published()
    async with app_with_state(settings) as (client, _):
        assert store.published() == kept_names
        assert (await client.get(kept["image"]["url"])).status_code == 200


async def test_a_removal_written_by_another_process_unpublishes_the_files(
    settings: Settings,
) -> None:
    async with app_with_state(settings) as (client, _):
        photo_id, _, photo = await approved_photo(client, settings)
        assert published(settings)
        # Another process's moderator: this process learns it from the event table.
        async with database(settings) as db, db.writing() as session:
            await service.decide(session, photo_id, Action.REMOVE, rule="test")
        async with asyncio.timeout(30):
            while published(settings):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        visitor = httpx.AsyncClient(transport=client._transport, base_url="http://wall.test")
        assert (await visitor.get(photo["image"]["url"])).status_code == 404
        await visitor.aclose()
