"""Bluesky in real time: Jetstream beside polling.

A small Jetstream runs on 127.0.0.1 (``websockets.serve``) and sends the
events Jetstream recorded for its own tests (``jetstream_recorded.jsonl``)
and campaign posts in the same shape; a fake AppView answers ``getPosts``
and the images through an ``httpx.MockTransport``. The poll interval is an
hour and the search finds nothing, so only the stream can explain a photo
stored or removed within seconds.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from conftest import fixture_bytes, fixture_json
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from tests.fake_mastodon import jpeg, wall_env, write_wall_toml
from tests.live import running
from tests.sources.test_deletions import approve
from tests.sources.test_poller import direct_poller, eventually, make_settings, photos
from wall.app import create_app
from wall.config import Settings
from wall.sources import jetstream
from wall.sources.base import USER_AGENT, SourceConfig
from wall.sources.bluesky import BlueskySource, record_images
from wall.sources.jetstream import PUBLIC_JETSTREAM, REWIND_US, stream_base, subscribe_url
from wall.sources.poller import Poller, Timings

NAME = "bluesky"
APPVIEW = "http://127.0.0.1:9"  # loopback: images may come from anywhere the transport serves
HOURS = Timings(recheck_seconds=6 * 3600, stream_retry=0.1)
RECORDED = fixture_bytes("bluesky", "jetstream_recorded.jsonl").decode().splitlines()
LAST_RECORDED_US = max(json.loads(line)["time_us"] for line in RECORDED)
# The campaign post of the search fixture: two images, tagged #perséVERT2024 in a facet.
TEAM = fixture_json("bluesky", "search_accented.json")["posts"][0]
TEAM_URI = TEAM["uri"]
# A photo whose author does not want to be shown to logged-out viewers.
PRIVATE = fixture_json("bluesky", "search_accented.json")["posts"][4]
assert PRIVATE["author"]["labels"][0]["val"] == "!no-unauthenticated"


def commit(
    uri: str, time_us: int, operation: str = "create", record: dict[str, Any] | None = None
) -> str:
    """A Jetstream commit event of ``app.bsky.feed.post``, shaped like the recorded ones."""
    did, collection, rkey = uri.removeprefix("at://").split("/", 2)
    body: dict[str, Any] = {
        "rev": "3mptbypuw3t2q",
        "operation": operation,
        "collection": collection,
        "rkey": rkey,
    }
    if operation != "delete":
        body |= {
            "record": record,
            "cid": "bafyreib5wrlfg3fjbf4tzllvotvke6cnk6pasjt6eshnert5p6x2fjf7za",
        }
    return json.dumps({"did": did, "time_us": time_us, "kind": "commit", "commit": body})


def text_only(uri: str, time_us: int) -> str:
    """A campaign post without images."""
    text = "Pas de photo aujourd'hui #perséVERT2024"
    record = {
        "$type": "app.bsky.feed.post",
        "createdAt": "2024-02-15T14:00:00.000Z",
        "langs": ["fr"],
        "text": text,
        "facets": [
            {
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "perséVERT2024"}],
                "index": {"byteStart": 26, "byteEnd": len(text.encode())},
            }
        ],
    }
    return commit(uri, time_us, record=record)


class FakeJetstream:
    """Jetstream on 127.0.0.1: records each connection's query, sends what a test gives it."""

    def __init__(self) -> None:
        self.attempts: list[dict[str, str]] = []  # every opening handshake's query
        self.queries: list[dict[str, str]] = []  # those of the connections accepted
        self.user_agents: list[str | None] = []
        self.current: ServerConnection | None = None
        self.server: Server | None = None
        self.refuse: int | None = None  # the HTTP status answered to every handshake
        self.refuse_cursor: int | None = None  # the status answered to one with a cursor

    async def start(self) -> FakeJetstream:
        self.server = await serve(
            self.handler, "127.0.0.1", 0, process_request=self.process_request
        )
        return self

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        query = dict(parse_qsl(urlsplit(request.path).query))
        self.attempts.append(query)
        status = self.refuse_cursor if "cursor" in query else None
        status = self.refuse or status
        return connection.respond(status, "refused\n") if status else None

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    @property
    def url(self) -> str:
        assert self.server is not None
        port = next(iter(self.server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}"

    async def handler(self, websocket: ServerConnection) -> None:
        assert websocket.request is not None
        target = urlsplit(websocket.request.path)
        assert target.path == "/subscribe"
        self.queries.append(dict(parse_qsl(target.query)))
        self.user_agents.append(websocket.request.headers.get("User-Agent"))
        self.current = websocket
        await websocket.wait_closed()

    async def connected(self, count: int) -> None:
        async def opened() -> int:
            return len(self.queries)

        await eventually(opened, lambda n: n >= count)

    async def send(self, *messages: str | bytes) -> None:
        assert self.current is not None
        for message in messages:
            await self.current.send(message)

    def drop(self) -> None:
        """Break the connection as a network would (no closing handshake)."""
        assert self.current is not None
        self.current.transport.abort()


class FakeAppView:
    """The account's PDS and the image CDN, answering like Bluesky's."""

    def __init__(self, *views: dict[str, Any]) -> None:
        self.views = {view["uri"]: view for view in views}
        self.asked: list[str] = []  # getPosts, one uri each
        self.searched: list[str] = []  # searchPosts, the query of each
        self.unknown_for = 0  # getPosts answers nothing this many times (not indexed yet)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["user-agent"] == USER_AGENT
        path = request.url.path
        if path == "/xrpc/com.atproto.server.createSession":
            return httpx.Response(200, content=fixture_bytes("bluesky", "session.json"))
        if path == "/xrpc/app.bsky.feed.searchPosts":
            self.searched.append(request.url.params["q"])
            return httpx.Response(200, json={"posts": []})
        if path == "/xrpc/app.bsky.feed.getPosts":
            assert request.headers["authorization"].startswith("Bearer ")
            uri = request.url.params["uris"]
            self.asked.append(uri)
            if self.unknown_for:
                self.unknown_for -= 1
                return httpx.Response(200, json={"posts": []})
            view = self.views.get(uri)
            return httpx.Response(200, json={"posts": [view] if view else []})
        if request.url.host == "cdn.bsky.app" and "/feed_fullsize/" in path:
            seed = 1 if "bafkreih1" in path else 2
            return httpx.Response(200, content=jpeg(seed), headers={"content-type": "image/jpeg"})
        return httpx.Response(404, json={"error": "NotFound"})


@pytest.fixture
async def jet() -> AsyncIterator[FakeJetstream]:
    server = await FakeJetstream().start()
    try:
        yield server
    finally:
        await server.stop()


def bluesky_settings(database_url: str, tmp_path: Path, stream_url: str) -> Settings:
    source = {
        "name": NAME,
        "type": "bluesky",
        "base_url": APPVIEW,
        "identifier": "vagueverte.bsky.social",
        "app_password": "abcd-efgh-ijkl-mnop",
        "interval": 3600,
        "stream_url": stream_url,
    }
    return make_settings(database_url, tmp_path, [source])


async def photo_rows(settings: Settings, count: int) -> list[Any]:
    return await eventually(lambda: photos(settings), lambda rows: len(rows) == count)


async def following(poller: Poller, jet: FakeJetstream) -> None:
    await poller.start()
    await jet.connected(1)


async def test_a_tagged_image_post_is_stored_within_seconds_and_nothing_else_is_asked_for(
    jet: FakeJetstream, database_url: str, tmp_path: Path
) -> None:
    appview = FakeAppView(TEAM, PRIVATE)
    settings = bluesky_settings(database_url, tmp_path, jet.url)
    transport = httpx.MockTransport(appview)
    async with direct_poller(settings, timings=HOURS, transport=transport) as poller:
        await following(poller, jet)
        # Real traffic: likes, follows, identity and account events, posts
        # with other tags and images, text posts, a deletion of a post never
        # stored; then a campaign post without images; then the campaign photo.
        await jet.send(*RECORDED)
        await jet.send(
            text_only(
                "at://did:plc:textonlytextonlytextonly/app.bsky.feed.post/3kllytext001",
                LAST_RECORDED_US + 1,
            )
        )
        await jet.send(commit(PRIVATE["uri"], LAST_RECORDED_US + 2, record=TEAM["record"]))
        started = time.monotonic()
        await jet.send(commit(TEAM_URI, LAST_RECORDED_US + 3, record=TEAM["record"]))
        rows = await photo_rows(settings, 2)
        assert time.monotonic() - started < 5
    # Only tagged posts with images are worth a request; the withheld one is not stored.
    assert appview.asked == [PRIVATE["uri"], TEAM_URI]
    assert {row.source_id for row in rows} == {f"{TEAM_URI}#0", f"{TEAM_URI}#1"}
    assert {row.status for row in rows} == {"pending"}
    # Built from the AppView's view, as polling builds it: the record only
    # says "L'équipe" and knows neither the author's name nor the image URLs.
    alts = sorted(str(row.alt) for row in rows)
    assert "L'équipe du bureau en chandails verts devant une fenêtre" in alts
    assert {row.author_handle for row in rows} == {"@amelie-roy.bsky.social"}
    assert jet.queries[0] == {
        "wantedCollections": "app.bsky.feed.post",
        "maxMessageSizeBytes": str(jetstream.SERVER_MAX_MESSAGE_BYTES),
    }
    assert jet.user_agents == [USER_AGENT]


async def test_a_pushed_deletion_takes_the_photo_off_the_public_wall(
    jet: FakeJetstream, database_url: str, tmp_path: Path
) -> None:
    appview = FakeAppView(TEAM)
    settings = bluesky_settings(database_url, tmp_path, jet.url)
    transport = httpx.MockTransport(appview)
    async with direct_poller(settings, timings=HOURS, transport=transport) as poller:
        await following(poller, jet)
        await jet.send(commit(TEAM_URI, 1_783_175_888_000_000, record=TEAM["record"]))
        rows = await photo_rows(settings, 2)
        await approve(database_url, [row.id for row in rows])
        assert len(await public_feed(settings, tmp_path)) == 2
        # A deletion of another post, then of this one, as Jetstream sends them.
        other = "at://did:plc:4smmjsqf6l5jkzczvw6vsrqc/app.bsky.feed.post/3mpt73z3ejc2p"
        await jet.send(commit(other, 1_783_175_889_000_000, "delete"))
        started = time.monotonic()
        await jet.send(commit(TEAM_URI, 1_783_175_890_000_000, "delete"))

        def removed(rows: list[Any]) -> bool:
            return all(row.status == "removed" for row in rows)

        await eventually(lambda: photos(settings), removed)
        assert time.monotonic() - started < 5
    assert await public_feed(settings, tmp_path) == []
    assert appview.asked == [TEAM_URI]  # the deletion needed no request


async def public_feed(settings: Settings, tmp_path: Path) -> list[dict[str, Any]]:
    """``GET /api/wall/photos`` of an app on the same database, with no sources of its own."""
    empty = write_wall_toml(tmp_path / "none.toml", [])
    env = wall_env(settings.database_url, settings.data_path, empty)
    app = create_app(Settings.from_env(env), null_pool=True)
    async with (
        running(app) as asgi,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url="http://t") as client,
    ):
        response = await client.get("/api/wall/photos")
    assert response.status_code == 200
    return list(response.json()["photos"])


async def test_a_broken_connection_is_reopened_from_the_last_event(
    jet: FakeJetstream, database_url: str, tmp_path: Path
) -> None:
    appview = FakeAppView(TEAM)
    settings = bluesky_settings(database_url, tmp_path, jet.url)
    transport = httpx.MockTransport(appview)
    async with direct_poller(settings, timings=HOURS, transport=transport) as poller:
        await following(poller, jet)
        await jet.send(*RECORDED)
        last = LAST_RECORDED_US + 10
        await jet.send(commit(TEAM_URI, last, record=TEAM["record"]))
        rows = await photo_rows(settings, 2)
        await approve(database_url, [row.id for row in rows])
        jet.drop()
        await jet.connected(2)
        assert jet.queries[1]["cursor"] == str(last - REWIND_US)
        assert "cursor" not in jet.queries[0]
        # The new connection replays from there: the post again (stored once), then its deletion.
        await jet.send(commit(TEAM_URI, last, record=TEAM["record"]))
        await jet.send(commit(TEAM_URI, last + 1, "delete"))
        rows = await eventually(
            lambda: photos(settings), lambda rows: all(r.status == "removed" for r in rows)
        )
    assert len(rows) == 2


async def test_a_refused_stream_leaves_polling_alone(
    jet: FakeJetstream, database_url: str, tmp_path: Path
) -> None:
    jet.refuse = 404  # a wrong stream_url
    settings = bluesky_settings(database_url, tmp_path, jet.url)
    appview = FakeAppView(TEAM)
    transport = httpx.MockTransport(appview)
    async with direct_poller(settings, timings=HOURS, transport=transport) as poller:
        await poller.start()

        async def searches() -> int:
            return len(appview.searched)

        await eventually(searches, lambda n: n == 2)  # the round searched both spellings
        await asyncio.sleep(0.5)  # many retry delays of 0.1 s: none is taken
    assert len(jet.attempts) == 1 and jet.queries == []


async def test_a_refused_cursor_resumes_live(
    jet: FakeJetstream, database_url: str, tmp_path: Path
) -> None:
    jet.refuse_cursor = 400
    settings = bluesky_settings(database_url, tmp_path, jet.url)
    transport = httpx.MockTransport(FakeAppView(TEAM))
    async with direct_poller(settings, timings=HOURS, transport=transport) as poller:
        source = poller.sources[NAME]
        assert isinstance(source, BlueskySource) and source.subscription is not None
        await following(poller, jet)
        await jet.send(commit(TEAM_URI, LAST_RECORDED_US, "delete"))
        await handled(source.subscription, LAST_RECORDED_US)
        jet.drop()
        await jet.connected(2)
    assert [("cursor" in query) for query in jet.attempts] == [False, True, False]


async def handled(subscription: jetstream.Subscription, time_us: int) -> None:
    """Wait until the event of ``time_us`` was handled (the cursor moves after that)."""

    async def cursor() -> int | None:
        return subscription.last_time_us

    await eventually(cursor, lambda last: last == time_us)


async def test_a_stream_that_worked_is_reopened_soon_however_often_it_broke(
    jet: FakeJetstream, database_url: str, tmp_path: Path
) -> None:
    # Doubling from 0.3 s without a reset, the fifth wait would be 4.8 s.
    timings = Timings(recheck_seconds=6 * 3600, stream_retry=0.3)
    settings = bluesky_settings(database_url, tmp_path, jet.url)
    transport = httpx.MockTransport(FakeAppView(TEAM))
    async with direct_poller(settings, timings=timings, transport=transport) as poller:
        source = poller.sources[NAME]
        assert isinstance(source, BlueskySource) and source.subscription is not None
        subscription = source.subscription
        await following(poller, jet)
        for connection in range(1, 6):
            moment = LAST_RECORDED_US + connection
            await jet.send(commit(TEAM_URI, moment, "delete"))

            await handled(subscription, moment)
            jet.drop()
            broken = time.monotonic()
            await jet.connected(connection + 1)
            assert time.monotonic() - broken < 3  # without the reset: 4.8 s the fifth time


async def test_malformed_messages_are_skipped_and_the_stream_goes_on(
    jet: FakeJetstream, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    appview = FakeAppView(TEAM)
    settings = bluesky_settings(database_url, tmp_path, jet.url)
    transport = httpx.MockTransport(appview)
    broken_facets = json.loads(commit(TEAM_URI, 1_783_175_888_000_004, record=TEAM["record"]))
    broken_facets["commit"]["record"] = {**TEAM["record"], "facets": ["not a facet"]}
    async with direct_poller(settings, timings=HOURS, transport=transport) as poller:
        await following(poller, jet)
        await jet.send(
            "{not json",
            b"\x00\xff binary",
            "[1, 2]",
            json.dumps({"kind": "commit", "commit": {}}),  # no time_us
            commit("at://not-a-did/app.bsky.feed.post/3kllz6qpwbs2x", 1_783_175_888_000_001),
            commit(TEAM_URI, 1_783_175_888_000_002, record=None),  # a create without its record
            commit(
                "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/a/b",
                1_783_175_888_000_003,
                "delete",
            ),
            json.dumps(broken_facets),
        )
        await jet.send(commit(TEAM_URI, 1_783_175_888_000_005, record=TEAM["record"]))
        await photo_rows(settings, 2)
    assert len(jet.queries) == 1  # never reopened
    assert appview.asked == [TEAM_URI]
    logged = [record.getMessage() for record in caplog.records]
    assert len([line for line in logged if "Jetstream message skipped" in line]) == 7
    assert any("has unreadable tags" in line for line in logged)


async def test_an_oversized_message_resumes_live(
    jet: FakeJetstream, database_url: str, tmp_path: Path
) -> None:
    settings = bluesky_settings(database_url, tmp_path, jet.url)
    transport = httpx.MockTransport(FakeAppView(TEAM))
    async with direct_poller(settings, timings=HOURS, transport=transport) as poller:
        await following(poller, jet)
        await jet.send(*RECORDED)
        await jet.send(commit(TEAM_URI, LAST_RECORDED_US + 1, record=TEAM["record"]))
        await photo_rows(settings, 2)
        await jet.send("x" * (jetstream.MAX_MESSAGE_BYTES + 1))
        await jet.connected(2)
    # Replaying from the cursor would meet the same message again.
    assert "cursor" not in jet.queries[1]


async def test_a_post_not_indexed_yet_is_asked_for_again(
    jet: FakeJetstream, database_url: str, tmp_path: Path
) -> None:
    appview = FakeAppView(TEAM)
    appview.unknown_for = 2
    settings = bluesky_settings(database_url, tmp_path, jet.url)
    transport = httpx.MockTransport(appview)
    async with direct_poller(settings, timings=HOURS, transport=transport) as poller:
        source = poller.sources[NAME]
        assert isinstance(source, BlueskySource)
        source.index_waits = (0.05, 0.05, 0.05)
        await following(poller, jet)
        await jet.send(commit(TEAM_URI, 1_783_175_888_000_000, record=TEAM["record"]))
        await photo_rows(settings, 2)
    assert appview.asked == [TEAM_URI] * 3


# -- which sources follow Jetstream -------------------------------------------


def bluesky_config(base_url: str, stream_url: str | None = None) -> SourceConfig:
    return SourceConfig(
        name=NAME,
        type="bluesky",
        base_url=base_url,
        identifier="vagueverte.bsky.social",
        app_password="abcd-efgh-ijkl-mnop",
        stream_url=stream_url,
    )


@pytest.mark.parametrize(
    ("base_url", "stream_url", "expected"),
    [
        ("https://bsky.social", None, PUBLIC_JETSTREAM),  # the public PDS: the public Jetstream
        ("https://bsky.social/", None, PUBLIC_JETSTREAM),
        ("https://pds.example.org", None, None),  # self-hosted: no stream unless set
        ("http://127.0.0.1:9", None, None),  # a test never reaches the internet
        ("https://bsky.social", "", None),  # switched off
        ("https://pds.example.org", "wss://jetstream.example.org/", "wss://jetstream.example.org"),
        ("https://bsky.social", "ws://127.0.0.1:6008", "ws://127.0.0.1:6008"),
    ],
)
async def test_the_default_stream_url_rule(
    base_url: str, stream_url: str | None, expected: str | None
) -> None:
    config = bluesky_config(base_url, stream_url)
    assert stream_base(config) == expected
    async with httpx.AsyncClient() as client:
        source = BlueskySource(config, client)
        assert source.stream_keys() == ([] if expected is None else ["jetstream"])


def test_the_subscribe_url() -> None:
    assert subscribe_url(PUBLIC_JETSTREAM, None) == (
        "wss://jetstream2.us-east.bsky.network/subscribe"
        "?wantedCollections=app.bsky.feed.post&maxMessageSizeBytes=65536"
    )
    assert subscribe_url("ws://127.0.0.1:6008/subscribe", 1725911162329308) == (
        "ws://127.0.0.1:6008/subscribe"
        "?wantedCollections=app.bsky.feed.post&maxMessageSizeBytes=65536&cursor=1725911162329308"
    )


def recorded_embeds() -> dict[str, Any]:
    """The embed of each recorded post, by type."""
    embeds: dict[str, Any] = {}
    for line in RECORDED:
        record = (json.loads(line).get("commit") or {}).get("record") or {}
        if record.get("$type") == "app.bsky.feed.post" and "embed" in record:
            embeds.setdefault(record["embed"]["$type"], record["embed"])
    return embeds


def test_which_records_have_images() -> None:
    embeds = recorded_embeds()
    images, external = embeds["app.bsky.embed.images"], embeds["app.bsky.embed.external"]
    quote = {"$type": "app.bsky.embed.record", "record": {"uri": TEAM_URI, "cid": TEAM["cid"]}}
    video = {"$type": "app.bsky.embed.video", "video": images["images"][0]["image"]}
    assert record_images(images)
    assert record_images(
        {"$type": "app.bsky.embed.recordWithMedia", "record": quote, "media": images}
    )
    assert record_images({"$type": "app.bsky.embed.gallery", "items": images["images"]})
    assert not record_images(external)
    assert not record_images(quote)  # the quoted post's images are not this post's
    assert not record_images(video)
    assert not record_images(
        {"$type": "app.bsky.embed.recordWithMedia", "record": quote, "media": video}
    )
    assert not record_images({"$type": "app.bsky.embed.images", "images": []})
    assert not record_images(None)
