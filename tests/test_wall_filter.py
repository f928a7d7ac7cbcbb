"""``?region=``, ``?school=``, ``?source=``: one wall's photos in feed, stats and page."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from tests.wall_photos import add_photos
from wall.config import Settings
from wall.wall_filter import WallFilter

REGIONS = ("Estrie", "Laval", "Montréal")


async def _seed(settings: Settings) -> dict[str, list[str]]:
    moment = dt.datetime(2024, 2, 15, 15, 0, tzinfo=dt.UTC)
    return {
        "estrie": await add_photos(settings, 3, regions=["Estrie"], approved_at=moment),
        "laval_school": await add_photos(
            settings,
            2,
            regions=["Laval"],
            school="École du Parc",
            approved_at=moment,
            consent_school_wall=True,
        ),
        # Same school, but its uploader did not tick the school wall's box.
        "school_unconsented": await add_photos(
            settings, 1, regions=["Laval"], school="École du Parc", approved_at=moment
        ),
        "mastodon": await add_photos(
            settings, 4, regions=["Laval"], source="mastodon", approved_at=moment
        ),
        "pending": await add_photos(settings, 2, regions=["Estrie"], status="pending"),
    }


@pytest.mark.parametrize(
    ("query", "group", "by_region"),
    [
        ("region=Estrie", "estrie", {"Estrie": 3}),
        ("school=%C3%89cole+du+Parc", "laval_school", {"Laval": 2}),
        ("source=mastodon", "mastodon", {"Laval": 4}),
        ("region=Laval&source=upload", "laval_uploads", {"Laval": 3}),
    ],
)
async def test_a_filter_narrows_the_feed_and_the_stats(
    client: httpx.AsyncClient,
    settings: Settings,
    query: str,
    group: str,
    by_region: dict[str, int],
) -> None:
    seeded = await _seed(settings)
    seeded["laval_uploads"] = seeded["laval_school"] + seeded["school_unconsented"]
    feed = await client.get(f"/api/wall/photos?{query}")
    assert feed.status_code == 200
    assert {photo["id"] for photo in feed.json()["photos"]} == set(seeded[group])
    assert feed.json()["count"] == len(seeded[group])
    stats = (await client.get(f"/api/wall/stats?{query}")).json()
    assert stats["approved"] == len(seeded[group])
    assert stats["by_region"] == by_region
    assert sum(point["n"] for point in stats["quarter_hours"]) == len(seeded[group])

    everything = (await client.get("/api/wall/stats")).json()
    assert everything["approved"] == 10
    assert everything["by_region"] == {"Estrie": 3, "Laval": 7}


async def test_each_filter_has_its_own_etag_and_304(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await _seed(settings)
    for path in ("/api/wall/photos", "/api/wall/stats"):
        tags = set()
        for query in ("", "?region=Estrie", "?region=Laval", "?source=mastodon"):
            first = await client.get(path + query)
            tag = first.headers["etag"]
            tags.add(tag)
            again = await client.get(path + query, headers={"If-None-Match": tag})
            assert again.status_code == 304, (path, query)
        assert len(tags) == 4, path
        # A tag of one wall does not answer another's request.
        other = await client.get(path + "?region=Laval", headers={"If-None-Match": tag})
        assert other.status_code == 200


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("region=Atlantide", "bad_region"),
        ("source=Mast%C3%B4don!", "bad_source"),
        ("school=" + "x" * 201, "bad_school"),
    ],
)
async def test_a_filter_no_photo_can_match_is_refused(
    client: httpx.AsyncClient, settings: Settings, query: str, code: str
) -> None:
    for path in ("/api/wall/photos", "/api/wall/stats"):
        answer = await client.get(f"{path}?{query}")
        assert answer.status_code == 400, (path, answer.text)
        assert answer.json()["error"] == code
        assert answer.json()["message"]
    page = await client.get(f"/?{query}")
    assert page.status_code == 400
    assert "text/html" in page.headers["content-type"]


def test_the_filter_reads_blank_values_as_absent_and_keeps_its_query() -> None:
    chosen = WallFilter.from_query(
        {"region": " Estrie ", "school": "", "source": "Mastodon"}, REGIONS
    )
    assert chosen == WallFilter(region="Estrie", source="mastodon")
    assert chosen.query() == "region=Estrie&source=mastodon"
    assert len(chosen.conditions()) == 2
    assert not WallFilter().active and chosen.active
    assert WallFilter().conditions() == []


async def test_the_feed_lists_the_pinned_photos_alone_on_request(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    pinned = await add_photos(settings, 5, regions=["Estrie", "Laval"], pinned=2)
    answer = await client.get("/api/wall/photos?pinned=1")
    assert {photo["id"] for photo in answer.json()["photos"]} == set(pinned[:2])
    assert all(photo["pinned"] for photo in answer.json()["photos"])
    narrowed = await client.get("/api/wall/photos?pinned=1&region=Laval")
    assert [photo["id"] for photo in narrowed.json()["photos"]] == [pinned[1]]
    everything = await client.get("/api/wall/photos")
    assert len(everything.json()["photos"]) == 5
    assert answer.headers["etag"] != everything.headers["etag"]


async def test_a_partners_embed_shows_only_photos_whose_consent_names_it(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    consented = await add_photos(settings, 2, consent_embed=True)
    await add_photos(settings, 3)  # uploads whose box for partners' sites was left empty
    posts = await add_photos(settings, 2, source="mastodon")  # public posts, by hashtag
    answer = await client.get("/api/wall/photos?embed=1")
    assert {photo["id"] for photo in answer.json()["photos"]} == set(consented + posts)
    assert (await client.get("/api/wall/stats?embed=1")).json()["approved"] == 4
    assert (await client.get("/api/wall/stats")).json()["approved"] == 7
    # The embed page asks its feed and stats for exactly that.
    page = (await client.get("/embed")).text
    assert "embed=1" in page and page.count("embed=1") >= 2


async def test_a_partner_framing_the_wall_gets_the_embed(client: httpx.AsyncClient) -> None:
    framed = {"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Site": "cross-site"}
    answer = await client.get("/?region=Laval&lang=en", headers=framed)
    assert answer.status_code == 303
    assert answer.headers["location"].endswith("/embed?region=Laval&lang=en")
    # The wall's own site may frame it, and a projector opens it whole.
    own = {"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Site": "same-origin"}
    assert (await client.get("/", headers=own)).status_code == 200
    opened = {"Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "none"}
    assert (await client.get("/", headers=opened)).status_code == 200
