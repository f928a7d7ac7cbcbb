"""Pushed deletions and posts: Mastodon's hashtag stream beside polling.

A fake Mastodon streams Server-Sent Events like the real streaming server.
The re-checks are set hours apart and the poll interval to an hour, so only
the stream can explain a change within seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fake_mastodon import FakeMastodon, FakeStatus
from tests.sources.test_deletions import approve
from tests.sources.test_poller import (
    direct_poller,
    eventually,
    make_settings,
    one_source,
    photos,
    state,
)
from wall.config import Settings
from wall.sources.poller import Timings

HOURS = Timings(recheck_seconds=6 * 3600, stream_retry=0.1)


@pytest.fixture
def server() -> Iterator[FakeMastodon]:
    fake = FakeMastodon().start()
    try:
        yield fake
    finally:
        fake.stop()


async def first_round(settings: Settings) -> None:
    """Wait for the first poll round to end (its re-checks included)."""

    async def done() -> bool:
        return (await state(settings)).last_success_at is not None

    await eventually(done, bool)


async def streams(server: FakeMastodon, count: int = 1) -> None:
    async def opened() -> int:
        return len(server.seen("/api/v1/streaming/hashtag"))

    await eventually(opened, lambda n: n >= count)


async def test_a_pushed_deletion_takes_the_photo_off_the_wall_within_seconds(
    server: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    post = server.add(FakeStatus(101, "zoe", "Photo 101"), seeds=(1,))
    kept = server.add(FakeStatus(102, "leo", "Photo 102"), seeds=(2,))
    settings = make_settings(database_url, tmp_path, [one_source(server.url, interval=3600)])
    async with direct_poller(settings, timings=HOURS) as poller:
        await poller.start()
        await first_round(settings)
        rows = await photos(settings)
        assert len(rows) == 2
        await approve(database_url, [photo.id for photo in rows])
        await streams(server)
        assert server.seen("/api/v1/streaming/hashtag")[0].params == {"tag": "persevert2024"}
        polls = len(server.seen())
        server.push_delete(post)
        started = time.monotonic()

        def removed(rows: list[Any]) -> bool:
            return any(photo.status == "removed" for photo in rows)

        rows = await eventually(lambda: photos(settings), removed)
        assert time.monotonic() - started < 5
        assert len(server.seen()) == polls  # no poll round in between
    status = {photo.caption.split()[1]: photo.status for photo in rows}
    assert status == {"101": "removed", "102": "approved"}
    assert not kept.deleted
    assert server.seen("/api/v1/statuses/") == []  # no re-check told it: the push did


async def test_a_pushed_post_is_ingested_without_a_poll(
    server: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path, [one_source(server.url, interval=3600)])
    async with direct_poller(settings, timings=HOURS) as poller:
        await poller.start()
        await first_round(settings)
        await streams(server)
        polls = len(server.seen())
        server.push_update(FakeStatus(103, "ana", "Photo 103"), seeds=(3,))
        rows = await eventually(lambda: photos(settings), lambda rows: len(rows) == 1)
        assert len(server.seen()) == polls
    assert rows[0].status == "pending"  # pushed posts are moderated like polled ones
    assert rows[0].caption.startswith("Photo 103")


async def test_a_refused_stream_leaves_polling_alone(
    server: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    server.stream_failure = "401"
    server.add(FakeStatus(101, "zoe", "Photo 101"), seeds=(1,))
    settings = make_settings(database_url, tmp_path, [one_source(server.url, interval=3600)])
    async with direct_poller(settings, timings=HOURS) as poller:
        await poller.start()
        await eventually(lambda: photos(settings), lambda rows: len(rows) == 1)
        await asyncio.sleep(0.5)  # many retry delays of 0.1 s: none is taken
        assert len(server.seen("/api/v1/streaming/hashtag")) == 1


async def test_a_broken_stream_is_opened_again(
    server: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    server.stream_failure = "500"
    post = server.add(FakeStatus(101, "zoe", "Photo 101"), seeds=(1,))
    settings = make_settings(database_url, tmp_path, [one_source(server.url, interval=3600)])
    async with direct_poller(settings, timings=HOURS) as poller:
        await poller.start()
        await first_round(settings)
        rows = await photos(settings)
        await approve(database_url, [rows[0].id])
        await streams(server, 2)
        server.stream_failure = None  # the streaming server is back
        connected = len(server.seen("/api/v1/streaming/hashtag"))
        await streams(server, connected + 1)
        server.push_delete(post)
        await eventually(lambda: photos(settings), lambda rows: rows[0].status == "removed")
