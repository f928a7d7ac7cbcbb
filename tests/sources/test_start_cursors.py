"""A new source starts at the campaign's start where its network can walk from a moment."""

import dataclasses
import datetime as dt
import json

import httpx
import pytest
from conftest import Recorder, fixture_bytes, fixture_json

from wall.sources import bluesky, flickr, mastodon
from wall.sources.base import PermanentSourceError, SourceConfig
from wall.sources.cursors import time_key
from wall.sources.registry import build_source

START = dt.datetime(2024, 2, 8, 5, 0, tzinfo=dt.UTC)


def test_snowflake_ids_follow_time() -> None:
    first = int(mastodon.snowflake_id(START))
    later = int(mastodon.snowflake_id(START + dt.timedelta(milliseconds=1)))
    assert first >> 16 == int(START.timestamp() * 1000)
    assert first & 0xFFFF == 0  # the smallest id of that millisecond
    assert later - first == 1 << 16


async def test_mastodon_walks_forward_from_the_start(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    config = SourceConfig(
        name="m", type="mastodon", base_url="https://mastodon.quebec", since=START
    )
    source = build_source(config, client)
    start = source.start_cursor()
    assert start is not None

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v2/instance":
            # Mastodon 4.6.4 as recorded by Mastodon.py: snowflake ids.
            return httpx.Response(
                200, content=fixture_bytes("mastodon", "recorded_instance_v2.json")
            )
        assert request.url.path == "/api/v1/timelines/tag/persevert2024"
        assert request.url.params["min_id"] == mastodon.snowflake_id(START)
        return httpx.Response(200, content=fixture_bytes("mastodon", "tag_page.json"))

    recorder.handler = handler
    page = await source.fetch(start)
    assert page.posts and page.next_cursor != start
    assert [request.url.path for request in recorder.requests] == [
        "/api/v2/instance",
        "/api/v1/timelines/tag/persevert2024",
    ]
    await source.fetch(start)  # the server's software is asked once
    assert len(recorder.requests) == 3
    without = dataclasses.replace(config, since=None)
    assert build_source(without, client).start_cursor() is None


@pytest.mark.parametrize(
    ("network", "document"),
    [
        ("gotosocial", "instance_v2.json"),  # GoToSocial's own test data: ULIDs
        ("gotosocial", "instance_v1.json"),  # version 0.0.0, no source: unsure, so walk back
    ],
)
async def test_other_servers_walk_back_from_the_newest_page(
    recorder: Recorder, client: httpx.AsyncClient, network: str, document: str
) -> None:
    config = SourceConfig(name="g", type="mastodon", base_url="https://gts.quebec", since=START)
    source = build_source(config, client)
    status = fixture_json(network, "status.json")  # 2021: older than the start

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v2/instance" and document.endswith("v2.json"):
            return httpx.Response(200, content=fixture_bytes(network, document))
        if request.url.path == "/api/v2/instance":
            return httpx.Response(404, json={"error": "not found"})
        if request.url.path == "/api/v1/instance":
            return httpx.Response(200, content=fixture_bytes(network, document))
        assert request.url.path == "/api/v1/timelines/tag/persevert2024"
        assert "min_id" not in request.url.params and "max_id" not in request.url.params
        return httpx.Response(200, json=[status])

    recorder.handler = handler
    page = await source.fetch(source.start_cursor())
    assert [post.id_at_source for post in page.posts] == ["01F8MH75CBF9JFX4ZAD54N0W0R"]
    # The walk met a post older than the start: forward from that real id from now on.
    assert json.loads(page.next_cursor or "")["tags"] == {
        "persevert2024": "01F8MH75CBF9JFX4ZAD54N0W0R"
    }


async def test_a_pixelfed_server_set_up_as_mastodon_says_so(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    config = SourceConfig(name="p", type="mastodon", base_url="https://pix.quebec", since=START)
    source = build_source(config, client)

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v2/instance"
        return httpx.Response(200, json={"version": "3.5.3 (compatible; Pixelfed 0.12.4)"})

    recorder.handler = handler
    with pytest.raises(PermanentSourceError, match='set type = "pixelfed"'):
        await source.fetch(source.start_cursor())


async def test_bluesky_pages_back_to_the_start(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    config = SourceConfig(
        name="b",
        type="bluesky",
        base_url="https://bsky.social",
        identifier="vagueverte.bsky.social",
        app_password="abcd-efgh-ijkl-mnop",
        since=START,
    )
    source = build_source(config, client)
    wanted = time_key(START - bluesky.LOOKBACK)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, content=fixture_bytes("bluesky", "session.json"))
        assert request.url.params["since"] == wanted
        return httpx.Response(200, content=fixture_bytes("bluesky", "search_folded.json"))

    recorder.handler = handler
    await source.fetch(source.start_cursor())
    assert sum(1 for r in recorder.requests if r.method == "GET") == 2  # both spellings


async def test_flickr_asks_for_uploads_since_the_start(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    config = SourceConfig(
        name="f", type="flickr", base_url="https://api.flickr.com", api_key="k", since=START
    )
    source = build_source(config, client)

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["min_upload_date"] == str(
            int((START - flickr.LOOKBACK).timestamp())
        )
        return httpx.Response(200, content=fixture_bytes("flickr", "search_page1.json"))

    recorder.handler = handler
    cursor = source.start_cursor()
    assert cursor is not None and json.loads(cursor)["tags"]
    await source.fetch(cursor)
    assert len(recorder.requests) == 1


def test_pixelfed_ids_carry_no_time(client: httpx.AsyncClient) -> None:
    config = SourceConfig(
        name="p", type="pixelfed", base_url="https://pixelfed.social", token="t", since=START
    )
    assert build_source(config, client).start_cursor() is None
