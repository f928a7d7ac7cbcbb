"""Servers that speak Mastodon's API but are not Mastodon, and health that tells the truth.

Each fake numbers and orders its status ids the way that server does
(``tests.fake_mastodon``): GoToSocial's ULIDs compared as text, Akkoma's and
Pleroma's FlakeIds in base62. The poller must collect every tagged image
post from the campaign's start on each, and say ``stalled`` or
``restricted`` when a source answers without error but misses posts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import sync_playwright

from tests.browser import ARGS, CHROMIUM, require_chromium
from tests.factories import ADMIN_EMAIL, ADMIN_PASSWORD, add_moderator, sign_in
from tests.fake_mastodon import FakeMastodon, FakeStatus, jpeg
from tests.live import LiveServer, running
from tests.sources.test_poller import direct_poller, make_settings, photos, state
from wall.app import create_app
from wall.config import Settings
from wall.sources.mastodon import snowflake_id
from wall.sources.poller import Timings

NAME = "fake-social"
START = "2024-02-15T08:01:00-05:00"  # 13:01:00 UTC: status n is posted at 13:00:00 + n s
IMAGES_BEFORE = (30, 45)
IMAGES_AFTER = (61, 75, 90, 104, 110)


def source(url: str, kind: str) -> dict[str, Any]:
    return {"name": NAME, "type": kind, "base_url": url, "interval": 60}


def fill(server: FakeMastodon) -> None:
    """Tagged posts from 13:00:20 to 13:01:50; a few carry a (small) photo."""
    for number in range(20, 111):
        status = FakeStatus(number, f"eleve{number}", f"Photo {number}")
        if number in IMAGES_BEFORE + IMAGES_AFTER:
            server.add(status, seeds=(number,))
            server.media[status.images[0]] = jpeg(number, (200, 200))
        else:
            server.add(status)


def numbers(rows: list[Any]) -> list[int]:
    return sorted(int(photo.caption.split()[1]) for photo in rows)


def timeline_params(server: FakeMastodon) -> list[dict[str, str]]:
    return [
        {key: value for key, value in seen.params.items() if key != "limit"}
        for seen in server.seen()
    ]


@pytest.mark.parametrize(
    ("software", "kind"),
    [
        ("gotosocial", "mastodon"),  # found out from /api/v2/instance
        ("gotosocial", "gotosocial"),
        ("akkoma", "akkoma"),
        ("pleroma", "mastodon"),
    ],
)
async def test_every_tagged_image_post_from_the_campaign_start(
    software: str, kind: str, database_url: str, tmp_path: Path
) -> None:
    server = FakeMastodon(software=software).start()
    try:
        fill(server)
        settings = make_settings(
            database_url, tmp_path, [source(server.url, kind)], WALL_CAMPAIGN_START=START
        )
        async with direct_poller(settings) as poller:
            [first] = await poller.run_once()
            assert first.ok, first.error
            assert numbers(await photos(settings)) == list(IMAGES_AFTER)
            # Posts after the walk: read forward from the newest id the walk met.
            late = server.add(FakeStatus(111, "ana", "Photo 111"), seeds=(111,))
            server.media[late.images[0]] = jpeg(111, (200, 200))
            [second] = await poller.run_once()
            assert (second.ok, second.stored) == (True, 1)
        assert numbers(await photos(settings)) == [*IMAGES_AFTER, 111]
        assert timeline_params(server) == [
            {},  # the newest page: 110 down to 71
            {"max_id": server.wire(71)},  # 70 down to 31: older than the start, the walk ends
            {"min_id": server.wire(110)},  # forward from a real id: nothing newer yet
            {"min_id": server.wire(110)},  # next round: 111
            {"min_id": server.wire(111)},
        ]
        detected = [seen.path for seen in server.seen("/api/v2/instance")]
        assert detected == (["/api/v2/instance"] if kind == "mastodon" else [])
        assert (await state(settings)).warning is None
    finally:
        server.stop()


async def test_mastodon_still_walks_forward_from_the_start_snowflake(
    database_url: str, tmp_path: Path
) -> None:
    server = FakeMastodon().start()
    try:
        fill(server)
        settings = make_settings(
            database_url, tmp_path, [source(server.url, "mastodon")], WALL_CAMPAIGN_START=START
        )
        async with direct_poller(settings) as poller:
            [result] = await poller.run_once()
        assert result.ok, result.error
        assert numbers(await photos(settings)) == list(IMAGES_AFTER)
        assert timeline_params(server)[0] == {"min_id": snowflake_id(settings.campaign_start)}
        assert all("max_id" not in params for params in timeline_params(server))
    finally:
        server.stop()


async def test_a_snowflake_min_id_misses_the_campaign_on_these_servers() -> None:
    """Why the walk back is needed, in what the fakes answer as the real servers do:
    GoToSocial compares ids as text (digits sort before every ULID: nothing is
    newer), Akkoma reads digits as an old serial id (before every FlakeId: the
    walk would start at the tag's very first post, years before the campaign)."""
    moment = snowflake_id(dt.datetime.fromisoformat(START))
    tagged = "/api/v1/timelines/tag/persevert2024"
    for software, first_number in (("gotosocial", None), ("akkoma", 20), ("mastodon", 61)):
        server = FakeMastodon(software=software).start()
        try:
            fill(server)
            async with httpx.AsyncClient(base_url=server.url) as client:
                page = (await client.get(tagged, params={"min_id": moment})).json()
            oldest = int(page[-1]["content"].split()[1]) if page else None
            assert oldest == first_number, software
        finally:
            server.stop()


# -- health: stalled and restricted -------------------------------------------


@pytest.fixture
def stuck() -> Iterator[FakeMastodon]:
    server = FakeMastodon(timeline_failure="stuck").start()
    try:
        yield server
    finally:
        server.stop()


async def scrape(settings: Settings) -> tuple[dict[str, Any], str, str]:
    """The source as the API, /metrics and the moderators' sources panel show it."""
    app = create_app(settings, null_pool=True)
    async with (
        running(app) as asgi,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url="http://t") as client,
    ):
        assert (await client.get("/moderation/sources")).status_code == 303  # sign in first
        await sign_in(client, settings)
        [listed] = (await client.get("/api/moderation/sources")).json()
        metrics = (await client.get("/metrics")).text
        panel = await client.get("/moderation/sources")
        assert panel.status_code == 200
        assert '/moderation/sources">Sources</a>' in (await client.get("/moderation")).text
    return listed, metrics, panel.text


def health_lines(metrics: str) -> dict[str, str]:
    prefix = f'wall_source_health{{source="{NAME}",state="'
    return {
        line[len(prefix) :].split('"')[0]: str(int(float(line.rsplit(" ", 1)[1])))
        for line in metrics.splitlines()
        if line.startswith(prefix)
    }


async def test_a_server_that_never_advances_is_stalled(
    stuck: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    for number in (101, 102):
        stuck.add(FakeStatus(number, "zoe", f"Photo {number}"), seeds=(number,))
    settings = make_settings(database_url, tmp_path, [source(stuck.url, "mastodon")])
    async with direct_poller(settings, timings=Timings(head_reread=0)) as poller:
        await poller.run_once()
        assert (await state(settings)).warning is None  # a first round reads no head
        for _ in range(2):
            [result] = await poller.run_once()
            assert result.ok  # no error anywhere: a silent failure
            assert (await state(settings)).warning == "stalled"
    listed, metrics, panel = await scrape(settings)
    assert listed["health"] == "stalled"
    assert f'data-source="{NAME}" data-health="stalled"' in panel
    assert "Bloquée" in panel and "le curseur n&#39;avance plus" in panel
    assert health_lines(metrics) == {
        "new": "0",
        "ok": "0",
        "stalled": "1",
        "restricted": "0",
        "retrying": "0",
        "failing": "0",
        "paused": "0",
    }

    # The server recovers: its cursor moves, and the warning goes.
    stuck.timeline_failure = None
    stuck.add(FakeStatus(103, "leo", "Photo 103"))
    async with direct_poller(settings, timings=Timings(head_reread=0)) as poller:
        [result] = await poller.run_once()
    assert result.ok
    assert (await state(settings)).warning is None
    assert (await scrape(settings))[0]["health"] == "ok"


async def test_a_source_that_moves_is_not_stalled(database_url: str, tmp_path: Path) -> None:
    server = FakeMastodon().start()
    try:
        for number in (101, 102):
            server.add(FakeStatus(number, "zoe", f"Photo {number}"), seeds=(number,))
        settings = make_settings(database_url, tmp_path, [source(server.url, "mastodon")])
        async with direct_poller(settings, timings=Timings(head_reread=0)) as poller:
            for _ in range(3):
                [result] = await poller.run_once()
                assert result.ok
        current = await state(settings)
        assert current.warning is None
        assert current.last_head_read_at is not None  # the head was read: checked, not skipped
        assert current.newest_post_at is not None
    finally:
        server.stop()


async def test_an_empty_feed_for_a_tag_in_use_is_restricted(
    database_url: str, tmp_path: Path
) -> None:
    server = FakeMastodon(timeline_failure="restricted").start()
    try:
        server.add(FakeStatus(101, "zoe", "Photo 101"), seeds=(1,))
        settings = make_settings(database_url, tmp_path, [source(server.url, "mastodon")])
        async with direct_poller(settings, timings=Timings(head_reread=0)) as poller:
            await poller.run_once()
            [result] = await poller.run_once()
        assert result.ok
        assert (await state(settings)).warning == "restricted"
        assert [seen.path for seen in server.seen("/api/v1/tags/")] == [
            "/api/v1/tags/persevert2024"
        ]
        listed, metrics, panel = await scrape(settings)
        assert listed["health"] == "restricted"
        assert f'data-source="{NAME}" data-health="restricted"' in panel
        assert "Restreinte" in panel
        assert health_lines(metrics)["restricted"] == "1"
    finally:
        server.stop()


async def test_an_empty_feed_for_an_unused_tag_is_fine(database_url: str, tmp_path: Path) -> None:
    server = FakeMastodon(timeline_failure="restricted").start()
    try:
        settings = make_settings(database_url, tmp_path, [source(server.url, "mastodon")])
        async with direct_poller(settings, timings=Timings(head_reread=0)) as poller:
            await poller.run_once()
            [result] = await poller.run_once()
        assert result.ok
        assert (await state(settings)).warning is None
        assert len(server.seen("/api/v1/tags/")) == 1  # asked, and the tag is unknown
    finally:
        server.stop()


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_sources_panel_shows_a_stalled_source_in_a_browser(
    stuck: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    require_chromium()
    stuck.add(FakeStatus(101, "zoe", "Photo 101"), seeds=(101,))
    settings = make_settings(database_url, tmp_path, [source(stuck.url, "mastodon")])

    async def make_it_stall() -> None:
        async with direct_poller(settings, timings=Timings(head_reread=0)) as poller:
            await poller.run_once()
            await poller.run_once()
        assert (await state(settings)).warning == "stalled"
        await add_moderator(settings, role="moderator")

    asyncio.run(make_it_stall())
    server = LiveServer(create_app(settings))
    server.start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = browser.new_page()
                page.goto(f"{server.url}/moderation")
                page.fill("input[name=email]", ADMIN_EMAIL)
                page.fill("input[name=password]", ADMIN_PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url("**/moderation")
                page.click("text=Sources")
                page.wait_for_url("**/moderation/sources")
                row = page.locator(f"tr[data-source='{NAME}']")
                assert row.get_attribute("data-health") == "stalled"
                assert "Bloquée" in row.inner_text()
                assert "le curseur n'avance plus" in row.inner_text()
            finally:
                browser.close()
    finally:
        server.stop()
