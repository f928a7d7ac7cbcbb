"""An erased post never comes back: the poller meets its tombstone and stores nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_mastodon import FakeMastodon, FakeStatus
from tests.sources.test_poller import direct_poller, make_settings, one_source, photos
from wall.db import Database
from wall.moderation import service
from wall.moderation.states import Action


@pytest.fixture
def mastodon() -> Iterator[FakeMastodon]:
    server = FakeMastodon().start()
    try:
        yield server
    finally:
        server.stop()


async def test_an_erased_post_is_not_collected_again(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    mastodon.add(FakeStatus(101, "zoe", "Zoé en vert"), seeds=(1,))
    first = make_settings(database_url, tmp_path, [one_source(mastodon.url)])
    async with direct_poller(first) as poller:
        result = await poller.poll(poller.configs[0], force=True)
        assert result is not None and result.stored == 1
    [photo] = await photos(first)
    db = Database(database_url, null_pool=True)
    try:
        async with db.writing() as session:
            await service.decide(session, photo.id, Action.ERASE_ON_REQUEST, rule="test")
    finally:
        await db.dispose()

    # A new source on the same instance reads the post again from the start.
    again = make_settings(database_url, tmp_path, [one_source(mastodon.url, name="relecture")])
    async with direct_poller(again) as poller:
        result = await poller.poll(poller.configs[0], force=True)
        assert result is not None and result.ok
        assert (result.fetched, result.stored) == (1, 0)
    [tombstone] = await photos(again)
    assert (tombstone.id, tombstone.status, tombstone.caption) == (photo.id, "erased", "")
    assert tombstone.author_handle is None and tombstone.permalink is None
