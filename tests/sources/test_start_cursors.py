"""A new source starts at the campaign's start where its network can walk from a moment."""

import dataclasses
import datetime as dt
import json

import httpx
from conftest import Recorder, fixture_bytes

from wall.sources import bluesky, flickr, mastodon
from wall.sources.base import SourceConfig
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
        assert request.url.path == "/api/v1/timelines/tag/persevert2024"
        assert request.url.params["min_id"] == mastodon.snowflake_id(START)
        return httpx.Response(200, content=fixture_bytes("mastodon", "tag_page.json"))

    recorder.handler = handler
    page = await source.fetch(start)
    assert page.posts and page.next_cursor != start
    assert len(recorder.requests) == 1
    without = dataclasses.replace(config, since=None)
    assert build_source(without, client).start_cursor() is None


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
