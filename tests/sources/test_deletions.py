"""Deletions at the source: every approved post re-checked within ``WALL_RECHECK_SECONDS``,
the most recently approved first, within the source's request budget.

The poller runs on a hand-moved clock, so ten minutes of rounds take seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from tests.clock import ManualClock
from tests.factories import sign_in
from tests.fake_mastodon import FakeMastodon, FakeStatus, jpeg
from tests.live import running
from tests.sources.test_poller import direct_poller, make_settings, one_source, photos, read
from wall.app import create_app
from wall.db import Database
from wall.models import Photo, RemotePhoto
from wall.moderation import service
from wall.moderation.states import Action
from wall.sources.poller import Poller, Timings

NAME = "fake-social"


@pytest.fixture
def mastodon() -> Iterator[FakeMastodon]:
    server = FakeMastodon().start()
    try:
        yield server
    finally:
        server.stop()


def add_posts(mastodon: FakeMastodon, ids: range) -> None:
    for n in ids:
        post = mastodon.add(FakeStatus(n, f"eleve{n}", f"Photo {n}"), seeds=(n,))
        mastodon.media[post.images[0]] = jpeg(n, (200, 200))  # small: ingest is not the subject


async def collect(poller: Poller, expected: int) -> None:
    """Rounds until the fake instance's ``expected`` posts are stored."""
    stored = 0
    for _ in range(10):
        for result in await poller.run_once():
            assert result.ok, result.error
            stored += result.stored
        if stored >= expected:
            return
    raise AssertionError(f"only {stored} of {expected} posts stored")


async def approve(database_url: str, photo_ids: list[str]) -> None:
    """Approve in this order, one transaction each: the last is the most recently approved."""
    db = Database(database_url, null_pool=True)
    try:
        for photo_id in photo_ids:
            async with db.writing() as session:
                await service.decide(session, photo_id, Action.APPROVE)
    finally:
        await db.dispose()


def by_status_number(photos_: list[Photo]) -> dict[int, Photo]:
    return {int(photo.caption.split()[1]): photo for photo in photos_}


def asked(mastodon: FakeMastodon, since: int) -> list[int]:
    """Status numbers asked about (``GET /api/v1/statuses/{id}``) after the first ``since`` asks."""
    seen = mastodon.seen("/api/v1/statuses/")[since:]
    return [mastodon.local_id(int(s.path.rsplit("/", 1)[1])) for s in seen]


async def test_a_deletion_among_600_approved_posts_leaves_the_wall_within_the_interval(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    add_posts(mastodon, range(101, 701))
    # With a token Mastodon allows 1,500 requests / 5 min: the budget is 240 / min.
    source = {**one_source(mastodon.url), "token": "jeton"}
    settings = make_settings(database_url, tmp_path, [source], WALL_RECHECK_SECONDS="300")
    timings = Timings(recheck_seconds=settings.recheck_seconds, head_reread=86400)
    clock = ManualClock()
    step = 30.0  # seconds between rounds of the fake clock
    async with direct_poller(settings, timings=timings, clock=clock) as poller:
        await collect(poller, 600)
        stored = by_status_number(await photos(settings))
        assert len(stored) == 600
        await approve(database_url, [stored[n].id for n in sorted(stored)])

        # Steady state: every post checked once, then some rounds more.
        for _ in range(12):
            clock.advance(step)
            [result] = await poller.run_once()
            assert result.ok and result.removed == 0
        # The least favoured post (the first approved), right after its check.
        while True:
            clock.advance(step)
            before = len(mastodon.seen("/api/v1/statuses/"))
            [result] = await poller.run_once()
            if 101 in asked(mastodon, before):
                break
        mastodon.statuses[0].deleted = True
        deleted_at = clock()

        while clock() - deleted_at <= dt.timedelta(seconds=3 * settings.recheck_seconds):
            clock.advance(step)
            [result] = await poller.run_once()
            assert result.ok
            if result.removed:
                break
    gone_after = (clock() - deleted_at).total_seconds()
    # Rounds come every `step`: a post waits its interval, plus at most one round.
    assert result.removed == 1 and gone_after <= settings.recheck_seconds + step
    statuses = {n: photo.status for n, photo in by_status_number(await photos(settings)).items()}
    assert statuses.pop(101) == "removed"
    assert set(statuses.values()) == {"approved"}


async def test_the_most_recently_approved_are_checked_first(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    add_posts(mastodon, range(101, 132))
    source = {**one_source(mastodon.url), "recheck_per_minute": 10}
    settings = make_settings(database_url, tmp_path, [source])
    clock = ManualClock()
    async with direct_poller(settings, timings=Timings(head_reread=86400), clock=clock) as poller:
        await collect(poller, 31)
        stored = by_status_number(await photos(settings))
        await approve(database_url, [stored[n].id for n in range(101, 131)])

        clock.advance(60)  # a minute: ten requests
        [first] = await poller.run_once()
        assert first.rechecked == 10
        assert asked(mastodon, 0) == list(range(130, 120, -1))

        # Approved now, so asked about before the older ones still waiting.
        await approve(database_url, [stored[131].id])
        clock.advance(60)
        await poller.run_once()
        assert asked(mastodon, 10) == [131, *range(120, 111, -1)]

        clock.advance(60)
        await poller.run_once()
        clock.advance(60)
        [last] = await poller.run_once()
        assert asked(mastodon, 20) == list(range(111, 100, -1))
        assert last.rechecked == 1

        # All checked within the interval: nothing is asked until they are due again.
        clock.advance(60)
        [idle] = await poller.run_once()
        assert idle.rechecked == 0
        clock.advance(Timings().recheck_seconds)
        [again] = await poller.run_once()
        # A quiet wait saves up two minutes of budget, no more.
        assert asked(mastodon, 31) == [131, *range(130, 111, -1)]
        assert again.rechecked == 20


async def test_the_worst_recheck_age_is_reported_to_moderators_and_metrics(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    add_posts(mastodon, range(101, 103))
    sources = [
        one_source(mastodon.url, interval=3600),
        {**one_source(mastodon.url, interval=3600, name="vide"), "hashtags": ["autrechose"]},
    ]
    settings = make_settings(database_url, tmp_path, sources, WALL_RECHECK_SECONDS="86400")
    clock = ManualClock()
    async with direct_poller(settings, clock=clock) as poller:
        await collect(poller, 2)
        await approve(database_url, [photo.id for photo in await photos(settings)])
        clock.advance(60)
        await poller.run_once()  # checks both posts

    now = dt.datetime.now(dt.UTC)  # the app reports in real time
    db = Database(database_url, null_pool=True)
    try:
        async with db.writing() as session:
            first = (await photos(settings))[0]
            await session.execute(
                update(RemotePhoto)
                .where(RemotePhoto.photo_id == first.id)
                .values(checked_at=now - dt.timedelta(seconds=1000))
            )
    finally:
        await db.dispose()

    async def checks(session: Any) -> list[dt.datetime | None]:
        return list((await session.scalars(select(RemotePhoto.checked_at))).all())

    assert all(moment is not None for moment in await read(settings, checks))
    app = create_app(settings, null_pool=True)
    async with (
        running(app) as asgi,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url="http://t") as client,
    ):
        await sign_in(client, settings)
        listed = {s["name"]: s for s in (await client.get("/api/moderation/sources")).json()}
        assert 1000 <= listed[NAME]["recheck_worst_age_seconds"] < 1600
        assert listed["vide"]["recheck_worst_age_seconds"] is None
        assert listed[NAME]["health"] in ("ok", "new")  # the existing fields stay
        metrics = (await client.get("/metrics")).text
    lines = [line for line in metrics.splitlines() if "recheck_worst_age" in line]
    assert lines[:2] == [
        "# HELP wall_source_recheck_worst_age_seconds"
        " longest an approved post has gone unchecked at its source",
        "# TYPE wall_source_recheck_worst_age_seconds gauge",
    ]
    [sample] = lines[2:]
    name, value = sample.split(" ")
    assert name == 'wall_source_recheck_worst_age_seconds{source="fake-social"}'
    assert 1000 <= float(value) < 1600
