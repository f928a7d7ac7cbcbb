"""The poller against a local Mastodon-like server, the wall configured through wall.toml."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import select, update

from tests.clock import ManualClock
from tests.factories import decide, sign_in
from tests.fake_mastodon import FakeMastodon, FakeStatus, jpeg, wall_env, write_wall_toml
from tests.live import running
from wall.app import create_app
from wall.config import Settings
from wall.db import Database
from wall.media import MediaLimits, MediaStore
from wall.models import Decision, Event, Photo, RemotePhoto, SourceState, utcnow
from wall.moderation import service
from wall.moderation.states import Action
from wall.sources.base import USER_AGENT, create_client
from wall.sources.ingest import Ingest
from wall.sources.mastodon import snowflake_id
from wall.sources.poller import Poller, Timings, configured_sources

T = TypeVar("T")
NAME = "fake-social"


@pytest.fixture
def mastodon() -> Iterator[FakeMastodon]:
    server = FakeMastodon().start()
    try:
        yield server
    finally:
        server.stop()


def wire(mastodon: FakeMastodon, status_id: int) -> str:
    """The id the fake instance gives status ``status_id`` on the wire."""
    return str(mastodon.wire_id(status_id))


def make_settings(
    database_url: str, tmp_path: Path, sources: list[dict[str, Any]], **extra: str
) -> Settings:
    toml = write_wall_toml(tmp_path / "wall.toml", sources)
    return Settings.from_env(wall_env(database_url, tmp_path / "data", toml, **extra))


def one_source(url: str, interval: int = 60, name: str = NAME) -> dict[str, Any]:
    return {"name": name, "type": "mastodon", "base_url": url, "interval": interval}


@asynccontextmanager
async def direct_poller(
    settings: Settings,
    *,
    http_timeout: float = 1.0,
    timings: Timings | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> AsyncIterator[Poller]:
    """The poller for the sources of ``settings``, with a short HTTP timeout for failure tests."""
    db = Database(settings.database_url, null_pool=True)
    async with create_client(timeout=http_timeout, transport=transport) as client:
        ingest = Ingest(
            db,
            MediaStore(settings.media_path),
            client,
            limits=MediaLimits(max_bytes=settings.max_upload_bytes),
            tmp_dir=settings.data_path / "tmp",
            download_deadline=2.0,
        )
        poller = Poller(
            configured_sources(settings),
            db=db,
            client=client,
            ingest=ingest,
            timings=timings,
            rng=random.Random(7),
            clock=clock or utcnow,
        )
        try:
            yield poller
        finally:
            await poller.close()
            await db.dispose()


async def read(settings: Settings, query: Callable[[Any], Awaitable[T]]) -> T:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            return await query(session)
    finally:
        await db.dispose()


async def photos(settings: Settings) -> list[Photo]:
    async def query(session: Any) -> list[Photo]:
        return list((await session.scalars(select(Photo).order_by(Photo.source_id))).all())

    return await read(settings, query)


async def state(settings: Settings, name: str = NAME) -> SourceState:
    async def query(session: Any) -> SourceState:
        row = await session.get(SourceState, name)
        assert row is not None
        return row  # type: ignore[no-any-return]

    return await read(settings, query)


async def eventually(probe: Callable[[], Awaitable[T]], done: Callable[[T], bool]) -> T:
    """Wait (with a deadline) until ``done(await probe())``."""
    async with asyncio.timeout(20):
        while True:
            value = await probe()
            if done(value):
                return value
            await asyncio.sleep(0.1)


def later_than(moment: dt.datetime | None, seconds: float) -> bool:
    assert moment is not None
    return moment >= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)


# -- the wall fills its queue by itself ---------------------------------------


async def test_the_wall_fills_its_moderation_queue_by_itself(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    mastodon.add(FakeStatus(101, "zoe", "Notre cour en vert!"), seeds=(1, 2))
    mastodon.add(FakeStatus(102, "leo", "Une vidéo", video=True), seeds=(3,))
    mastodon.add(FakeStatus(103, "max", "Autre chose", tags=("hiver",)), seeds=(4,))
    mastodon.add(FakeStatus(104, "ana", "La classe", sensitive=True), seeds=(5,))
    settings = make_settings(database_url, tmp_path, [one_source(mastodon.url)])
    app = create_app(settings, null_pool=True)

    async with running(app) as asgi:
        transport = httpx.ASGITransport(app=asgi)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://wall.test") as moderator,
            httpx.AsyncClient(transport=transport, base_url="http://wall.test") as visitor,
        ):
            assert (await visitor.get("/api/moderation/sources")).status_code == 401
            csrf = await sign_in(moderator, settings)

            async def queue() -> list[dict[str, Any]]:
                answer = await moderator.get("/api/moderation/photos?status=pending")
                return list(answer.json()["photos"])

            pending = await eventually(queue, lambda q: len(q) == 3)
            by_alt = {photo["alt"]: photo for photo in pending}
            assert set(by_alt) == {"Photo 1 de zoe", "Photo 2 de zoe", "Photo 1 de ana"}
            zoe = by_alt["Photo 1 de zoe"]
            assert zoe["status"] == "pending"
            assert zoe["source"] == "mastodon"
            assert zoe["author"] == {
                "name": "Zoe 🌱",
                "handle": "@zoe@127.0.0.1",
                "url": "https://fake.example/@zoe",
            }
            assert zoe["caption"] == "Notre cour en vert! #persevert2024"
            assert zoe["permalink"] == "https://fake.example/@zoe/101"
            assert zoe["posted_at"] == "2024-02-15T13:01:41Z"
            assert zoe["flags"] == []
            assert by_alt["Photo 1 de ana"]["flags"] == ["sensitive"]

            # Stored here, never hot-linked; only moderators see it before approval.
            assert zoe["media_url"].startswith("/media/")
            image = await moderator.get(zoe["media_url"])
            assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
            assert image.content[:2] == b"\xff\xd8"
            assert (await visitor.get(zoe["media_url"])).status_code == 404
            assert (await visitor.get(zoe["image"]["thumb_url"])).status_code == 404

            async def sources() -> list[dict[str, Any]]:
                return list((await moderator.get("/api/moderation/sources")).json())

            # The round ends (cursor, health) just after its last photo is stored.
            sources_now = await eventually(sources, lambda s: s[0]["last_success_at"] is not None)
            assert len(sources_now) == 1
            health = sources_now[0]
            assert {k: health[k] for k in ("name", "type", "last_error", "health")} == {
                "name": NAME,
                "type": "mastodon",
                "last_error": None,
                "health": "ok",
            }
            assert dt.datetime.fromisoformat(health["next_poll_at"]) > dt.datetime.now(dt.UTC)
            assert (health["fetched_total"], health["stored_total"]) == (4, 3)
            assert health["skipped_total"] == 2  # the video-only post, the one without our tag

            # Approved, it reaches the public feed with its credit, served from our storage.
            assert (await decide(moderator, csrf, zoe["id"], "approve")).status_code == 200
            [shown] = (await visitor.get("/api/wall/photos")).json()["photos"]
            assert (shown["author"]["handle"], shown["permalink"]) == (
                "@zoe@127.0.0.1",
                "https://fake.example/@zoe/101",
            )
            assert (await visitor.get(shown["image"]["url"])).status_code == 200

    timeline = mastodon.seen()
    assert timeline and all(seen.user_agent == USER_AGENT for seen in timeline)
    assert {seen.path for seen in mastodon.seen("/media/")} == {
        "/media/101-0.jpg",
        "/media/101-1.jpg",
        "/media/104-0.jpg",
    }


async def test_nothing_is_lost_or_doubled_across_a_restart(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    mastodon.add(FakeStatus(101, "zoe", "Premier"), seeds=(1,))
    mastodon.add(FakeStatus(102, "leo", "Deuxième"), seeds=(2,))
    settings = make_settings(database_url, tmp_path, [one_source(mastodon.url, interval=1)])

    async with running(create_app(settings, null_pool=True)):
        await eventually(lambda: photos(settings), lambda rows: len(rows) == 2)
    first_run = len(mastodon.seen())
    assert (await state(settings)).lease_owner is None  # released at shutdown

    mastodon.add(FakeStatus(103, "ana", "Troisième"), seeds=(3,))
    async with running(create_app(settings, null_pool=True)):
        rows = await eventually(lambda: photos(settings), lambda rows: len(rows) >= 3)
        await eventually(lambda: state(settings), lambda s: s.fetched_total >= 3)

    rows = sorted(await photos(settings), key=lambda photo: photo.posted_at)
    assert [photo.caption.split()[0] for photo in rows] == ["Premier", "Deuxième", "Troisième"]
    assert len({photo.source_id for photo in rows}) == 3
    # The restarted poller resumed from its stored cursor.
    assert mastodon.seen()[first_run].params == {"limit": "40", "min_id": wire(mastodon, 102)}


async def test_the_sources_endpoint_shows_a_failing_source(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    mastodon.timeline_failure = "500"
    settings = make_settings(database_url, tmp_path, [one_source(mastodon.url)])
    async with running(create_app(settings, null_pool=True)) as asgi:
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://wall.test") as http:
            await sign_in(http, settings)

            async def sources() -> list[dict[str, Any]]:
                return list((await http.get("/api/moderation/sources")).json())

            health = (await eventually(sources, lambda s: s[0]["last_error"] is not None))[0]
    assert health["health"] == "retrying"
    assert "HTTP 500" in health["last_error"]
    assert health["last_success_at"] is None
    assert health["consecutive_failures"] == 1
    # Backed off: at least the interval (60 s) away.
    assert dt.datetime.fromisoformat(health["next_poll_at"]) > dt.datetime.now(
        dt.UTC
    ) + dt.timedelta(seconds=55)


async def test_no_sources_file_means_no_poller(settings: Settings) -> None:
    assert settings.sources_path is None
    async with running(create_app(settings, null_pool=True)) as asgi:
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://wall.test") as http:
            await sign_in(http, settings)
            assert (await http.get("/api/moderation/sources")).json() == []


# -- failures -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        ("timeout", "timed out"),
        ("closed", "network error"),
        ("500", "HTTP 500"),
        ("429", "HTTP 429"),
        ("truncated", "unreadable JSON"),
        ("shape", "not a list of statuses"),
    ],
)
async def test_a_retryable_failure_backs_off_then_recovers(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path, failure: str, message: str
) -> None:
    mastodon.add(FakeStatus(101, "zoe", "Bonjour"), seeds=(1,))
    mastodon.timeline_failure = failure
    settings = make_settings(database_url, tmp_path, [one_source(mastodon.url)])
    async with direct_poller(settings) as poller:
        [result] = await poller.run_once()
        assert not result.ok and result.error is not None and message in result.error
        failed = await state(settings)
        assert (failed.error_kind, failed.consecutive_failures) == ("retryable", 1)
        assert failed.cursor is None and failed.last_success_at is None
        assert failed.last_error is not None and message in failed.last_error
        # 429 carries no Retry-After: the wait comes from X-RateLimit-Reset (120 s).
        assert later_than(failed.next_poll_at, 110 if failure == "429" else 55)
        assert await photos(settings) == []

        [again] = await poller.run_once()
        assert not again.ok
        worse = await state(settings)
        assert worse.consecutive_failures == 2
        assert worse.next_poll_at is not None and failed.next_poll_at is not None
        assert worse.next_poll_at >= failed.next_poll_at

        mastodon.timeline_failure = None
        [recovered] = await poller.run_once()
        assert recovered.ok and recovered.stored == 1
    healthy = await state(settings)
    assert (healthy.error_kind, healthy.consecutive_failures) == (None, 0)
    assert healthy.last_success_at is not None and healthy.cursor is not None
    assert len(await photos(settings)) == 1


async def test_a_permanent_failure_waits_long(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    mastodon.timeline_failure = "401"
    settings = make_settings(database_url, tmp_path, [one_source(mastodon.url)])
    async with direct_poller(settings) as poller:
        [result] = await poller.run_once()
    assert not result.ok and "needs an access token" in (result.error or "")
    failed = await state(settings)
    assert failed.error_kind == "permanent"
    assert later_than(failed.next_poll_at, 3500)
    # A restart (after fixing the configuration) tries again at once.
    async with direct_poller(settings) as poller:
        await poller.prepare()
    assert (await state(settings)).next_poll_at is None


async def test_an_unreachable_instance_is_retryable(database_url: str, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = make_settings(database_url, tmp_path, [one_source(f"http://127.0.0.1:{port}")])
    async with direct_poller(settings) as poller:
        [result] = await poller.run_once()
    assert not result.ok and "network error" in (result.error or "")
    assert (await state(settings)).error_kind == "retryable"


async def test_a_failing_image_does_not_lose_the_others(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    post = mastodon.add(FakeStatus(101, "zoe", "Cinq photos"), seeds=(1, 2, 3, 4, 5))
    names = post.images
    mastodon.media_failures = {
        names[1]: "not_an_image",
        names[2]: "too_large",
        names[3]: "500",
        names[4]: "slow",
    }
    settings = make_settings(
        database_url, tmp_path, [one_source(mastodon.url)], WALL_MAX_UPLOAD_MB="1"
    )
    async with direct_poller(settings) as poller:
        [first] = await poller.run_once()
        assert first.ok
        assert (first.stored, first.skipped, first.held) == (1, 2, 2)
        # Two images may still come: the cursor stays before their post, at the start.
        held_at = json.loads((await state(settings)).cursor or "{}")["tags"]
        assert list(held_at.values()) == [{"from": settings.campaign_start.isoformat()}]

        mastodon.media_failures = {names[1]: "not_an_image", names[2]: "too_large"}
        [second] = await poller.run_once()
        assert (second.stored, second.held) == (2, 0)
        assert (await state(settings)).cursor is not None

    rows = await photos(settings)
    assert [photo.alt for photo in rows] == ["Photo 1 de zoe", "Photo 4 de zoe", "Photo 5 de zoe"]
    assert [photo.source_id for photo in rows] == [
        f"{mastodon.uri_of(post)}#{index}" for index in (0, 3, 4)
    ]
    start = snowflake_id(settings.campaign_start)
    assert [seen.params.get("min_id") for seen in mastodon.seen()] == [
        start,  # a new source walks from the campaign's start
        start,  # a page held back by failed images is read again
        wire(mastodon, 101),
    ]
    # Refused downloads leave nothing behind.
    assert not list((settings.data_path / "tmp").iterdir())


async def test_an_image_that_keeps_failing_is_given_up(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    post = mastodon.add(FakeStatus(101, "zoe", "Deux photos"), seeds=(1, 2))
    mastodon.media_failures = {post.images[1]: "500"}
    settings = make_settings(database_url, tmp_path, [one_source(mastodon.url)])
    async with direct_poller(settings) as poller:
        held = [(await poller.run_once())[0].held for _ in range(3)]
    assert held == [1, 1, 0]
    assert (await state(settings)).cursor is not None
    assert len(await photos(settings)) == 1


PUBLIC = "http://93.184.215.14"  # a public address: the private-address guard is on


async def test_a_public_source_cannot_redirect_an_image_to_loopback(
    database_url: str, tmp_path: Path
) -> None:
    # The fake instance plays a public host through a MockTransport (a real
    # server here is on loopback, where the guard is rightly off). Its second
    # image redirects to 127.0.0.1, which the transport would serve as well:
    # only the guard can keep it out.
    instance = FakeMastodon(url=PUBLIC, media_base=PUBLIC)
    post = instance.add(FakeStatus(101, "zoe", "Deux photos"), seeds=(1, 2))
    inside = f"http://127.0.0.1:8080/media/{post.images[1]}"
    app = httpx.ASGITransport(instance.app())
    asked: list[str] = []

    async def handle(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        if request.url.path == f"/media/{post.images[1]}" and request.url.host != "127.0.0.1":
            return httpx.Response(302, headers={"location": inside})
        answer = await app.handle_async_request(request)
        return httpx.Response(
            answer.status_code, headers=answer.headers, content=await answer.aread()
        )

    settings = make_settings(database_url, tmp_path, [one_source(PUBLIC)])
    async with direct_poller(settings, transport=httpx.MockTransport(handle)) as poller:
        [result] = await poller.run_once()
    assert result.ok
    assert (result.stored, result.skipped, result.held) == (1, 1, 0)
    assert any("refused a private address: 127.0.0.1" in p for p in result.problems)
    assert f"{PUBLIC}/media/{post.images[0]}" in asked  # the public image was fetched
    assert inside not in asked  # the loopback one was never asked for
    assert [photo.alt for photo in await photos(settings)] == ["Photo 1 de zoe"]
    assert not list((settings.data_path / "tmp").iterdir())


# -- idempotence, duplicates --------------------------------------------------


async def test_the_same_post_on_two_instances_is_stored_once(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    mastodon.add(FakeStatus(101, "zoe", "Fédérée"), seeds=(1, 2))
    mastodon.add(FakeStatus(102, "eve", "Même photo, autre compte"), seeds=(1,))
    other = FakeMastodon(
        statuses=mastodon.statuses, media=mastodon.media, id_offset=5000, media_base=mastodon.url
    ).start()
    try:
        settings = make_settings(
            database_url,
            tmp_path,
            [one_source(mastodon.url), one_source(other.url, name="autre-instance")],
        )
        async with direct_poller(settings) as poller:
            for config in poller.configs:
                result = await poller.poll(config, force=True)
                assert result is not None and result.ok
            # Seen again: on the second instance, and later on the first one.
            [again, _] = await poller.run_once()
            assert (again.fetched, again.stored) == (0, 0)
    finally:
        other.stop()

    rows = await photos(settings)
    assert len(rows) == 3
    # Each image downloaded once: the second instance's copies were known already.
    media = [seen.path for seen in mastodon.seen("/media/")]
    assert sorted(media) == ["/media/101-0.jpg", "/media/101-1.jpg", "/media/102-0.jpg"]
    # The same picture posted twice: whichever was stored second is flagged, not dropped.
    [flagged] = [photo for photo in rows if photo.flags]
    assert flagged.flags == ["duplicate"]
    assert flagged.source_id.rsplit("/", 1)[-1] in ("101#0", "102#0")

    async def origins(session: Any) -> set[str]:
        return set((await session.scalars(select(RemotePhoto.source_name))).all())

    assert await read(settings, origins) == {NAME}


async def test_two_sources_racing_for_one_post_store_it_once(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    mastodon.add(FakeStatus(101, "zoe", "Course"), seeds=(1, 2, 3))
    settings = make_settings(
        database_url,
        tmp_path,
        [one_source(mastodon.url), one_source(mastodon.url, name="meme-instance")],
    )
    async with direct_poller(settings) as poller:
        results = await poller.run_once()
    assert all(result.ok for result in results)
    assert sum(result.stored for result in results) == 3
    assert len(await photos(settings)) == 3


# -- cursors: walking forward, head re-reads, leases --------------------------


async def test_a_catch_up_walks_forward_page_after_page(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    mastodon.add(FakeStatus(100, "zoe", "Avant"), seeds=(1,))
    settings = make_settings(database_url, tmp_path, [one_source(mastodon.url)])
    async with direct_poller(settings) as poller:
        await poller.run_once()
        for number in range(101, 151):  # 50 posts without images, more than a page
            mastodon.add(FakeStatus(number, "leo", f"Texte {number}"))
        [result] = await poller.run_once()
    assert (result.fetched, result.skipped) == (50, 50)
    assert [seen.params.get("min_id") for seen in mastodon.seen()] == [
        snowflake_id(settings.campaign_start),  # first run: from the campaign's start
        wire(mastodon, 100),  # empty page: caught up
        wire(mastodon, 100),
        wire(mastodon, 140),
        wire(mastodon, 150),
    ]


async def test_a_head_reread_finds_late_posts_and_keeps_the_cursor(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    mastodon.add(FakeStatus(101, "zoe", "Tôt"), seeds=(1,))
    mastodon.add(FakeStatus(102, "leo", "Tôt aussi"), seeds=(2,))
    settings = make_settings(database_url, tmp_path, [one_source(mastodon.url)])
    async with direct_poller(settings, timings=Timings(head_reread=0)) as poller:
        await poller.run_once()
        cursor = (await state(settings)).cursor
        # Federated late: an id below the cursor, which min_id never returns.
        mastodon.add(FakeStatus(90, "ana", "En retard"), seeds=(3,))
        [result] = await poller.run_once()
    assert result.stored == 1
    assert (await state(settings)).cursor == cursor
    assert (await state(settings)).last_head_read_at is not None
    assert [seen.params.get("min_id") for seen in mastodon.seen()][-2:] == [
        wire(mastodon, 102),
        None,
    ]
    assert len(await photos(settings)) == 3


async def test_a_source_held_by_another_process_is_left_alone(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path, [one_source(mastodon.url)])
    async with direct_poller(settings) as poller:
        await poller.prepare()
        db = Database(settings.database_url, null_pool=True)
        try:
            async with db.writing() as session:
                await session.execute(
                    update(SourceState).values(
                        lease_owner="other-host:1:abcd",
                        lease_until=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
                    )
                )
            [busy] = await poller.run_once()
            assert busy.busy and not busy.ok
            assert mastodon.seen() == []
            async with db.writing() as session:  # the other process died: its lease runs out
                await session.execute(
                    update(SourceState).values(
                        lease_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
                    )
                )
            [polled] = await poller.run_once()
            assert polled.ok and len(mastodon.seen()) == 1
        finally:
            await db.dispose()


async def test_a_source_is_not_polled_before_it_is_due(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path, [one_source(mastodon.url)])
    async with direct_poller(settings) as poller:
        config = poller.configs[0]
        assert await poller.poll(config) is not None
        assert await poller.poll(config) is None  # due in 60 s
        assert await poller.poll(config, force=True) is not None
    assert len(mastodon.seen()) == 2


# -- deletions at the source --------------------------------------------------


async def test_a_post_deleted_at_the_source_leaves_the_wall(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    gone = mastodon.add(FakeStatus(101, "zoe", "Bientôt supprimé"), seeds=(1, 2))
    mastodon.add(FakeStatus(102, "leo", "Reste"), seeds=(3,))
    settings = make_settings(database_url, tmp_path, [one_source(mastodon.url)])
    # Every post is due at every round; the clock moves a minute, for the budget.
    clock = ManualClock()
    async with direct_poller(settings, timings=Timings(recheck_seconds=0), clock=clock) as poller:
        await poller.run_once()
        db = Database(settings.database_url, null_pool=True)
        try:
            for photo in await photos(settings):
                async with db.writing() as session:
                    await service.decide(session, photo.id, Action.APPROVE)
        finally:
            await db.dispose()
        clock.advance(60)
        [kept] = await poller.run_once()
        assert (kept.rechecked, kept.removed) == (2, 0)
        gone.deleted = True
        clock.advance(60)
        [result] = await poller.run_once()
    assert result.ok and result.removed == 2
    statuses = {photo.caption.split()[0]: photo.status for photo in await photos(settings)}
    assert statuses == {"Bientôt": "removed", "Reste": "approved"}
    checked = [seen.path for seen in mastodon.seen("/api/v1/statuses/")]
    assert set(checked) == {f"/api/v1/statuses/{wire(mastodon, n)}" for n in (101, 102)}

    async def removals(session: Any) -> list[tuple[str, str | None]]:
        events = await session.scalars(select(Event.type).where(Event.type == "photo.removed"))
        rules = await session.scalars(select(Decision.rule).where(Decision.action == "remove"))
        return [*((e, None) for e in events.all()), *(("rule", r) for r in rules.all())]

    assert sorted(await read(settings, removals), key=str) == sorted(
        [("photo.removed", None)] * 2 + [("rule", "source_deleted")] * 2, key=str
    )


async def test_posts_from_before_the_campaign_are_not_collected(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    mastodon.add(FakeStatus(101, "zoe", "Pendant"), seeds=(1,))
    mastodon.add(FakeStatus(30, "leo", "Avant"), seeds=(2,))  # 13:00:30, before the start
    settings = make_settings(
        database_url,
        tmp_path,
        [one_source(mastodon.url)],
        WALL_CAMPAIGN_START="2024-02-15T08:01:00-05:00",
    )
    async with direct_poller(settings, timings=Timings(head_reread=0)) as poller:
        [first] = await poller.run_once()
        # The head re-read sees the old post too: it is skipped, not stored.
        [second] = await poller.run_once()
    assert first.stored == 1 and first.fetched == 1
    assert (second.fetched, second.stored, second.skipped) == (2, 0, 1)
    assert [photo.caption.split()[0] for photo in await photos(settings)] == ["Pendant"]
    assert mastodon.seen()[0].params["min_id"] == snowflake_id(settings.campaign_start)


async def test_an_image_no_larger_than_a_thumbnail_is_stored(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    post = mastodon.add(FakeStatus(101, "zoe", "Petite photo"), seeds=(1,))
    # Display and thumbnail of a 400 px picture are the same file.
    mastodon.media[post.images[0]] = jpeg(1, (400, 300))
    settings = make_settings(database_url, tmp_path, [one_source(mastodon.url)])
    async with direct_poller(settings) as poller:
        [result] = await poller.run_once()
    assert (result.stored, result.skipped) == (1, 0)
    [photo] = await photos(settings)
    assert photo.media["display"]["name"] == photo.media["thumb"]["name"]
