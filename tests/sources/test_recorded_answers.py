"""Adapters on answers recorded from real servers (tests/fixtures/README.md says where from).

Mastodon 4.6.4 as recorded by Mastodon.py's test suite, GoToSocial's own
expected API answers (ULID ids, a remote attachment, its system note), and a
Bluesky post view kept by the Python atproto SDK's tests.
"""

from __future__ import annotations

import datetime as dt

import httpx
from conftest import Recorder, fixture_bytes, fixture_json

from wall.sources.base import RemoteAuthor, RemoteImage, SourceConfig
from wall.sources.bluesky import view_to_post
from wall.sources.mastodon import MastodonSource, status_to_post

LINK = (
    "<http://localhost:3000/api/v1/timelines/tag/hoot?max_id=117020593741189701>; "
    'rel="next", <http://localhost:3000/api/v1/timelines/tag/hoot?min_id=117020593741189701>; '
    'rel="prev"'
)


async def test_mastodon_tag_timeline_as_recorded(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    config = SourceConfig(
        name="local", type="mastodon", base_url="http://localhost:3000", hashtags=("hoot",)
    )

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v1/timelines/tag/hoot"
        body = fixture_bytes("mastodon", "recorded_tag_timeline.json")
        return httpx.Response(200, content=body, headers={"Link": LINK})

    recorder.handler = handler
    page = await MastodonSource(config, client).fetch(None)
    [post] = page.posts
    assert post.id_at_source == "117020593741189701"
    assert post.uri == (
        "http://localhost:3000/ap/users/117020566092212359/statuses/117020593741189701"
    )
    assert post.caption == "#hoot (hashtag toot)"
    assert post.tags == ("hoot",)
    assert post.images == ()  # a text post: the poller skips it
    # An empty display name: the username stands in.
    assert post.author == RemoteAuthor(
        "mastodonpy_test_2",
        "@mastodonpy_test_2@localhost",
        "http://localhost:3000/@mastodonpy_test_2",
    )
    assert post.posted_at == dt.datetime(2026, 8, 1, 13, 55, 55, 867000, tzinfo=dt.UTC)
    assert page.next_cursor == '{"tags": {"hoot": "117020593741189701"}, "v": 1}'


def test_mastodon_status_with_two_images_as_recorded() -> None:
    status = fixture_json("mastodon", "recorded_status_images.json")
    post = status_to_post(status, "mastodon", "localhost")
    assert [image.alt for image in post.images] == [
        "John Lennon doing a funny walk",
        "hololives #1 detective, watson ameliachan",
    ]
    assert [(image.width, image.height) for image in post.images] == [(600, 600), (400, 400)]
    assert all(image.url.startswith("http://localhost:3000/system/") for image in post.images)
    assert post.sensitive and post.sensitive_reasons == ("marked_sensitive",)
    assert post.caption == "LOL check this out"


def test_gotosocial_status_as_its_tests_expect_it() -> None:
    post = status_to_post(fixture_json("gotosocial", "status.json"), "mastodon", "localhost")
    assert post.id_at_source == "01F8MH75CBF9JFX4ZAD54N0W0R"
    assert post.uri == "http://localhost:8080/users/admin/statuses/01F8MH75CBF9JFX4ZAD54N0W0R"
    assert post.tags == ("welcome",)
    assert post.caption == "hello world! #welcome ! first post on the instance :rainbow: !"
    assert post.images == (
        RemoteImage(
            url="http://localhost:8080/fileserver/01F8MH17FWEB39HZJ76B6VXSKF/attachment/original/01F8MH6NEM8D7527KZAECTCR76.jpg",
            alt="Black and white image of some 50's style text saying: Welcome On Board",
            width=1200,
            height=630,
            preview_url="http://localhost:8080/fileserver/01F8MH17FWEB39HZJ76B6VXSKF/attachment/small/01F8MH6NEM8D7527KZAECTCR76.webp",
        ),
    )


def test_gotosocial_system_note_stays_out_of_the_caption() -> None:
    status = fixture_json("gotosocial", "status_remote_media.json")
    post = status_to_post(status, "mastodon", "localhost")
    # Its note on the two attachments it did not download (an .svg, an .mp3) is not the caption.
    assert post.caption == "hi @admin here's some media for ya"
    assert [image.alt for image in post.images] == ["Photograph of a sloth, Public Domain."]
    assert post.author is not None
    assert post.author.handle == "@Some_User@example.org"
    assert post.sensitive


def test_bluesky_post_with_a_quote_and_an_image_as_the_appview_sent_it() -> None:
    """A recordWithMedia post recorded by the Python atproto SDK's tests: the
    image is this post's; the quoted post is not."""
    view = fixture_json("bluesky", "recorded_thread_with_media.json")["thread"]["post"]
    post = view_to_post(view)
    blob = (
        "did:plc:kvwvcn5iqfooopmyzvb4qzba/"
        "bafkreic3cp5ky525vsukjvrzxsc2h3jka2gud74l2hgeatw2rhj2qycnmq"
    )
    assert post.images == (
        RemoteImage(
            url=f"https://cdn.bsky.app/img/feed_fullsize/plain/{blob}@jpeg",
            alt=None,  # an empty alt text is no alt text
            preview_url=f"https://cdn.bsky.app/img/feed_thumbnail/plain/{blob}@jpeg",
        ),
    )
    assert post.permalink == "https://bsky.app/profile/test.marshal.dev/post/3kaheyt6vpc22"
    assert post.posted_at == dt.datetime(2023, 9, 28, 12, 49, 36, 735000, tzinfo=dt.UTC)
    assert (post.caption, post.tags, post.language) == ("", (), "en")
    assert not post.is_reply and not post.sensitive
