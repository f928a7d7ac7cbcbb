"""Instagram, Flickr and Pixelfed adapters on answers recorded from the real networks.

tests/fixtures/README.md says where each file comes from: Graph API answers
kept by python-facebook's tests (a Business account's media pages, the
``#love`` top media, an error), ``flickr.photos.search`` and
``flickr.people.getPhotosOf`` answers kept by the Java Flickr library Jinx,
and a pixelfed.de timeline kept by the PixelDroid app's tests. Only the
network is faked, with httpx.MockTransport serving those bodies unchanged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import httpx
import pytest
from conftest import Handler, Recorder, fixture_bytes, fixture_json

from wall.hashtags import CampaignTags
from wall.sources.base import (
    PermanentSourceError,
    RemoteAuthor,
    RemoteImage,
    RemotePost,
    SourceConfig,
)
from wall.sources.flickr import FlickrSource
from wall.sources.instagram import InstagramSource, media_to_post
from wall.sources.pixelfed import PixelfedSource

# --- Instagram (Graph API) --------------------------------------------------

IG_USER = "17841406338772941"  # the Business account python-facebook recorded with
IG_CONFIG = SourceConfig(
    name="insta",
    type="instagram",
    base_url="https://graph.facebook.com/v21.0",
    token="jeton-ig",
    user_id=IG_USER,
    hashtags=("developers",),
    since=dt.datetime(2021, 6, 1, tzinfo=dt.UTC),
)
DEVELOPERS_ID = "17841562426109234"  # what ig_hashtag_search answered for "developers"
LOVE_ID = "17843826142012701"  # the hashtag of the recorded top_media answer


def instagram(name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=fixture_bytes("instagram", name))


def scontent(path: str) -> str:
    return f"https://scontent-gmp1-1.cdninstagram.com/v/t51.29350-15/{path}"


def graph(request: httpx.Request) -> httpx.Response:
    params = request.url.params
    assert params["user_id"] == IG_USER and params["access_token"] == "jeton-ig"
    if request.url.path == "/v21.0/ig_hashtag_search":
        assert params["q"] == "developers"
        return instagram("recorded_hashtag_search.json")
    assert request.url.path == f"/v21.0/{DEVELOPERS_ID}/recent_media"
    assert params["limit"] == "50"
    if "after" in params:
        assert params["after"] == "after"  # the cursor of the recorded first page
        return instagram("recorded_media_page2.json")
    return instagram("recorded_media_page1.json")


async def test_instagram_walk_over_two_recorded_pages(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    recorder.handler = graph
    source = InstagramSource(IG_CONFIG, client)

    first = await source.fetch(source.start_cursor())
    newest, older = first.posts
    assert newest.uri == "instagram:media:17895731045244887"
    assert newest.permalink == "https://www.instagram.com/p/CSgf9BChwVq/"
    assert newest.author is None  # the Graph API gives no author
    # Instagram writes its offset "+0000", without a colon.
    assert newest.posted_at == dt.datetime(2021, 8, 13, 8, 25, 28, tzinfo=dt.UTC)
    assert (newest.caption, newest.tags) == ("", ())  # no caption field at all
    assert newest.images == (
        RemoteImage(
            url=scontent(
                "235924128_269317301288861_6602043128777306709_n.jpg?_nc_cat=108&ccb=1-5"
                "&_nc_sid=8ae9d6&_nc_ohc=CA_7VSXzSfAAX8ovZJz&_nc_ht=scontent-gmp1-1.cdninstagram.com"
                "&edm=AM6HXa8EAAAA&oh=1fa7eb75ca61eeb68e6742b5db7cd725&oe=61227755"
            )
        ),
    )
    assert older.posted_at == dt.datetime(2021, 8, 13, 8, 2, 40, tzinfo=dt.UTC)
    # Both posts are newer than the campaign start and the page has a "next":
    # the walk goes on with Instagram's "after" cursor.
    assert json.loads(first.next_cursor or "")["tags"]["developers"] == {
        "id": DEVELOPERS_ID,
        "since": "2021-06-01T00:00:00.000000Z",
        "top": "2021-08-13T08:25:28.000000Z",
        "page": "after",
    }

    second = await source.fetch(first.next_cursor)
    album, peach = second.posts
    assert album.caption == "ALBUM"
    # Two image children; the video child is left out, and the album's own
    # media_url (its cover, the first child again) is not taken twice.
    assert [image.url.split("?")[0].rsplit("/", 1)[1] for image in album.images] == [
        "223646625_250720926614889_6557630912345090634_n.jpg",
        "223792850_4185486154879355_5499910575994647858_n.jpg",
    ]
    assert album.posted_at == dt.datetime(2021, 7, 26, 10, 45, 20, tzinfo=dt.UTC)
    assert peach.caption == "Peach new" and len(peach.images) == 1
    # The last page has only "previous": the catch-up is over.
    assert json.loads(second.next_cursor or "")["tags"]["developers"] == {
        "id": DEVELOPERS_ID,
        "since": "2021-08-13T08:25:28.000000Z",
    }
    # ig_hashtag_search once, then recent_media twice.
    assert [request.url.path.rsplit("/", 1)[1] for request in recorder.requests] == [
        "ig_hashtag_search",
        "recent_media",
        "recent_media",
    ]


def test_instagram_album_without_children_gives_its_cover() -> None:
    media = fixture_json("instagram", "recorded_mentioned_media.json")["mentioned_media"]
    post = media_to_post(media)
    assert post.images == (RemoteImage(url=media["media_url"]),)
    assert post.caption == "@ikroskun hey"
    assert post.permalink is None  # this answer has no permalink field


def love_top_media() -> list[dict[str, Any]]:
    """The recorded #love top_media items, with the timestamp the recording did not ask for.

    The adapter always asks for ``timestamp``; without one an item cannot be
    placed in time (see the next test). Only that field is added here.
    """
    items = fixture_json("instagram", "recorded_hashtag_top_media.json")["data"]
    return [{**item, "timestamp": "2020-02-14T00:00:00+0000"} for item in items]


def test_instagram_hashtag_media_images_albums_and_videos() -> None:
    posts = {post.id_at_source: post for post in map(media_to_post, love_top_media())}
    assert len(posts) == 25
    for item in love_top_media():
        if item["media_type"] == "IMAGE":
            assert posts[item["id"]].images == (RemoteImage(url=item["media_url"]),)
    # An album whose children are all videos, and with no media_url of its
    # own, gives no photo (the poller skips it).
    [album] = [item for item in love_top_media() if item["id"] == "17881768807512229"]
    assert album["media_type"] == "CAROUSEL_ALBUM" and "media_url" not in album
    assert {child["media_type"] for child in album["children"]["data"]} == {"VIDEO"}
    assert posts[album["id"]].images == ()


def test_instagram_glued_hashtags_are_read_as_instagram_reads_them() -> None:
    """Instagram files "#love#instagood" under both tags: this post is in the
    #love top media, and "#love#instagood#malayalamquotes" is its only #love."""
    [item] = [item for item in love_top_media() if item["id"] == "17868809137612526"]
    post = media_to_post(item)
    assert post.tags[:4] == ("love", "instagood", "malayalamquotes", "kerala360")
    assert CampaignTags(["love"]).matches(post.tags)
    [other] = [item for item in love_top_media() if item["id"] == "17856001312766999"]
    assert {"onam", "wayanad"} <= set(media_to_post(other).tags)


async def test_instagram_items_without_timestamp_are_counted_not_fatal(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    # The recording asked no timestamp: no item can be placed in time.
    recorder.handler = lambda request: instagram("recorded_hashtag_top_media.json")
    config = dataclasses.replace(IG_CONFIG, hashtags=("love",), since=None)
    cursor = json.dumps({"v": 1, "tags": {"love": {"id": LOVE_ID}}})
    page = await InstagramSource(config, client).fetch(cursor)
    assert (page.posts, page.skipped) == ((), 25)
    [request] = recorder.requests  # the hashtag id came from the cursor
    assert request.url.path == f"/v21.0/{LOVE_ID}/recent_media"
    assert json.loads(page.next_cursor or "")["tags"] == {"love": {"id": LOVE_ID}}


async def test_instagram_missing_permission_is_permanent(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    # python-facebook keeps the body only; the Graph API sends OAuthException
    # errors with HTTP 400.
    recorder.handler = lambda request: instagram("recorded_error_permission.json", 400)
    with pytest.raises(PermanentSourceError, match=r"error 100 \(#100\) Object does not exist"):
        await InstagramSource(IG_CONFIG, client).fetch(None)


# --- Flickr -------------------------------------------------------------------

FLICKR_CONFIG = SourceConfig(
    name="flickr",
    type="flickr",
    base_url="https://api.flickr.com",
    api_key="cle-flickr",
    hashtags=("roidweek2014",),
)


def flickr_answer(name: str, method: str = "flickr.photos.search") -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/services/rest/"
        assert request.url.params["method"] == method
        assert request.url.params["api_key"] == "cle-flickr"
        return httpx.Response(200, content=fixture_bytes("flickr", name))

    return handler


async def test_flickr_search_as_recorded(recorder: Recorder, client: httpx.AsyncClient) -> None:
    recorder.handler = flickr_answer("recorded_search.json")
    page = await FlickrSource(FLICKR_CONFIG, client).fetch(None)

    assert recorder.requests[0].url.params["tags"] == "roidweek2014"
    assert len(page.posts) == 5 and page.skipped == 0
    spirit, untitled = page.posts[:2]
    assert spirit.uri == "https://www.flickr.com/photos/21945957@N00/14256698876/"
    assert spirit.permalink == "https://www.flickr.com/photos/mcordell/14256698876/"
    assert spirit.author == RemoteAuthor(
        "a.k.a. Flash", "mcordell", "https://www.flickr.com/photos/mcordell/"
    )
    assert spirit.posted_at == dt.datetime(2014, 5, 27, 3, 8, 4, tzinfo=dt.UTC)
    assert spirit.caption == "San Francisco Spirit\n\nSan Francisco"
    assert CampaignTags(["roidweek2014"]).matches(spirit.tags)
    # The "large" size (Flickr's _b) with its size given as strings, the
    # 640 px one as preview.
    assert spirit.images == (
        RemoteImage(
            url="https://farm4.staticflickr.com/3744/14256698876_2b00fa5537_b.jpg",
            width=843,
            height=1024,
            preview_url="https://farm4.staticflickr.com/3744/14256698876_2b00fa5537_z.jpg",
        ),
    )
    # An empty title leaves the description alone as the caption.
    assert untitled.caption.startswith("Poor execution on my part (camera shake)")
    # A head read takes one page, although "pages" says "160".
    assert json.loads(page.next_cursor or "")["tags"] == {
        "roidweek2014": {"since": "2014-05-27T03:08:04.000000Z"}
    }


async def test_flickr_catch_up_pages_on_from_a_recorded_page(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    recorder.handler = flickr_answer("recorded_search.json")
    since = dt.datetime(2014, 5, 1, tzinfo=dt.UTC)
    source = FlickrSource(dataclasses.replace(FLICKR_CONFIG, since=since), client)

    first = await source.fetch(source.start_cursor())
    second = await source.fetch(first.next_cursor)

    asked = [request.url.params for request in recorder.requests]
    assert [params["page"] for params in asked] == ["1", "2"]
    # The search index lags behind uploads: ten minutes before the start.
    assert asked[0]["min_upload_date"] == str(int(since.timestamp()) - 600)
    assert json.loads(first.next_cursor or "")["tags"]["roidweek2014"] == {
        "since": "2014-05-01T00:00:00.000000Z",
        "top": "2014-05-27T03:08:04.000000Z",
        "page": "2",
    }
    # The same recorded page again is still newer than the start: on to page 3.
    assert json.loads(second.next_cursor or "")["tags"]["roidweek2014"]["page"] == "3"


async def test_flickr_video_and_empty_path_alias_as_recorded(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    """flickr.people.getPhotosOf answers with the same photo list as a search."""
    recorder.handler = flickr_answer("recorded_photos_of.json")
    page = await FlickrSource(FLICKR_CONFIG, client).fetch(None)
    posts = {post.id_at_source: post for post in page.posts}

    assert len(posts) == 10
    assert posts["8527524649"].images == ()  # "media": "video"
    assert sum(1 for post in posts.values() if post.images) == 9
    # "pathalias": "" — the NSID stands in, in every link.
    thinkers = posts["8554082210"]
    assert thinkers.author == RemoteAuthor(
        "DianaLBrks", "30989519@N03", "https://www.flickr.com/photos/30989519@N03/"
    )
    assert thinkers.permalink == "https://www.flickr.com/photos/30989519@N03/8554082210/"
    # A description of spaces only is no description; an HTML one is text.
    assert posts["8716439701"].caption == "Happy Moment"
    assert posts["8527524649"].caption.startswith(
        "Motor Club of America**** I made $977 in one WEEK!!!\n\n"
        "Website: www.mcaultimatesuccess.com\n\nEmail:"
    )


async def test_flickr_get_info_answer_means_the_photo_still_exists(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    recorder.handler = flickr_answer("recorded_get_info.json", "flickr.photos.getInfo")
    post = RemotePost(
        source="flickr",
        id_at_source="14118630850",
        uri="https://www.flickr.com/photos/85853333@N00/14118630850/",
        permalink=None,
        author=None,
        posted_at=dt.datetime(2014, 5, 30, 13, 37, 11, tzinfo=dt.UTC),
        caption="",
    )
    assert await FlickrSource(FLICKR_CONFIG, client).exists(post) is True
    assert recorder.requests[0].url.params["photo_id"] == "14118630850"


# --- Pixelfed -----------------------------------------------------------------

PIXELFED_CONFIG = SourceConfig(
    name="pixelfed-de",
    type="pixelfed",
    base_url="https://pixelfed.de",
    token="jeton-pf",
    hashtags=("hiking",),
)


async def test_pixelfed_statuses_as_recorded(recorder: Recorder, client: httpx.AsyncClient) -> None:
    """PixelDroid recorded pixelfed.de's public timeline; a tag timeline sends
    the same status entities."""

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v1/timelines/tag/hiking"
        assert request.headers["authorization"] == "Bearer jeton-pf"
        if "min_id" in request.url.params:
            return httpx.Response(200, json=[])
        return httpx.Response(
            200, content=fixture_bytes("pixelfed", "recorded_public_timeline.json")
        )

    recorder.handler = handler
    source = PixelfedSource(PIXELFED_CONFIG, client)
    page = await source.fetch(None)

    day8, untagged, flowers = page.posts
    assert day8.uri == "https://pixelfed.de/p/Miike/140364967936397312"
    assert day8.author == RemoteAuthor(
        "Miike Duart", "@Miike@pixelfed.de", "https://pixelfed.de/Miike"
    )
    assert day8.posted_at == dt.datetime(2020, 3, 3, 8, 0, 16, tzinfo=dt.UTC)
    assert day8.caption == "Day 8 #rotavicentina #hiking #nature"
    assert day8.tags == ("hiking", "nature", "rotavicentina")
    media = (
        "https://pixelfed.de/storage/m/113a3e2124a33b1f5511e531953f5ee48456e0c7/"
        "34dd6d9fb1762dac8c7ddeeaf789d2d8fa083c9f/JtjO0eAbELpgO1UZqF5ydrKbCKRVyJUM1WAaqIeB"
    )
    # "meta": null and "description": null: no size, no alt text.
    assert day8.images == (RemoteImage(url=f"{media}.jpeg", preview_url=f"{media}_thumb.jpeg"),)
    assert not day8.sensitive and not day8.is_reply
    # A photo with no caption and no tag (the poller skips it for the campaign).
    assert (untagged.caption, untagged.tags, len(untagged.images)) == ("", (), 1)
    assert flowers.caption == (
        "february 2 is the day to give flowers to Iemanjá. #salvador #bahia #brazil #iemanja"
    )
    # Three statuses, fewer than a page: the head is read, newest id kept.
    assert json.loads(page.next_cursor or "")["tags"] == {"hiking": {"since": "140364967936397312"}}

    again = await source.fetch(page.next_cursor)
    assert recorder.requests[1].url.params["min_id"] == "140364967936397312"
    assert again.posts == ()
    assert again.next_cursor == page.next_cursor
