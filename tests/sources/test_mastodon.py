import datetime as dt
import json

import httpx
import pytest
from conftest import Recorder, fixture_bytes

from wall.sources.base import (
    Page,
    PermanentSourceError,
    RemoteAuthor,
    RemoteImage,
    RetryableSourceError,
    SourceConfig,
)
from wall.sources.mastodon import MastodonSource

BASE = "https://mastodon.social"
TAG_PATH = "/api/v1/timelines/tag/persevert2024"
CONFIG = SourceConfig(name="mastodon-social", type="mastodon", base_url=BASE + "/")


def page_response(
    request: httpx.Request, name: str = "tag_page.json", **headers: str
) -> httpx.Response:
    return httpx.Response(200, content=fixture_bytes("mastodon", name), headers=headers)


def assert_tag_request(request: httpx.Request, min_id: str | None = None) -> None:
    assert request.method == "GET"
    assert request.url.host == "mastodon.social"
    assert request.url.path == TAG_PATH
    expected = {"limit": "40"} | ({"min_id": min_id} if min_id else {})
    assert dict(request.url.params) == expected


async def test_first_fetch_reads_the_newest_page_anonymously(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert_tag_request(request)
        assert "authorization" not in request.headers
        return page_response(request)

    recorder.handler = handler
    page = await MastodonSource(CONFIG, client).fetch(None)

    assert len(recorder.requests) == 1
    assert page.skipped == 1  # the status without an account
    assert [post.id_at_source for post in page.posts] == [
        "113942870415727316",
        "113942861130482701",
        "113942850987123456",
        "113942844000111222",
        "111982400000000001",
    ]
    assert json.loads(page.next_cursor or "") == {
        "v": 1,
        "tags": {"persevert2024": "113942870415727316"},
    }


async def test_status_translation(recorder: Recorder, client: httpx.AsyncClient) -> None:
    recorder.handler = page_response
    first, reply, edited, text_only, boosted = (
        await MastodonSource(CONFIG, client).fetch(None)
    ).posts

    assert first.source == "mastodon"
    assert first.uri == "https://mastodon.social/users/zoe_lavoie/statuses/113942870415727316"
    assert first.permalink == "https://mastodon.social/@zoe_lavoie/113942870415727316"
    assert first.author == RemoteAuthor(
        "Zoé Lavoie 🌱", "@zoe_lavoie@mastodon.social", "https://mastodon.social/@zoe_lavoie"
    )
    assert first.posted_at == dt.datetime(2024, 2, 15, 14, 32, 5, 123000, tzinfo=dt.UTC)
    assert first.caption == (
        "Notre cour d'école en vert pour la #perséVERT2024 🌿 & c'est beau\xa0!\n\n"
        "Photo : la classe de 5e année\nÉcole Saint-Jean <Québec>"
    )
    assert first.language == "fr"
    assert first.tags == ("persevert2024",)
    assert not first.sensitive and not first.is_reply and first.edited_at is None
    assert first.images[0] == RemoteImage(
        url="https://files.mastodon.social/media_attachments/files/113/942/869/871/220/845/original/0a9c2e6f.jpg",
        alt="Des élèves en chandail vert forment un cœur dans la cour enneigée.",
        width=2048,
        height=1536,
        preview_url="https://files.mastodon.social/media_attachments/files/113/942/869/871/220/845/small/0a9c2e6f.jpg",
    )
    assert first.images[1].alt is None and first.images[1].width == 1080

    assert reply.is_reply
    assert reply.author == RemoteAuthor(
        "benoit_cote", "@benoit_cote@piaille.fr", "https://piaille.fr/@benoit_cote"
    )
    assert reply.sensitive
    assert reply.sensitive_reasons == (
        "marked_sensitive",
        "content_warning:Nudité artistique (statue)",
    )
    assert reply.caption == "@zoe_lavoie Chez nous aussi ! #PerseVert2024"
    # url null while processing: the remote original is used; no size known.
    assert reply.images == (
        RemoteImage(
            url="https://piaille.fr/system/media_attachments/files/111/982/443/original/c0ffee.jpeg"
        ),
    )

    assert edited.edited_at == dt.datetime(2024, 2, 15, 14, 40, 13, 567000, tzinfo=dt.UTC)
    assert edited.images == ()  # video and gifv are not photos

    assert text_only.images == ()
    assert text_only.permalink == text_only.uri  # url was null
    assert text_only.language is None
    assert text_only.author is not None and text_only.author.name == "Ngọc Anh Trần 🇻🇳🇨🇦"

    # A boost is the boosted status: its uri, its author, its media.
    assert boosted.uri == "https://mastodon.quebec/users/marie/statuses/111982400000000001"
    assert boosted.author is not None and boosted.author.handle == "@marie@mastodon.quebec"
    # "unknown": media the instance could not read; never downloaded.
    assert boosted.images == ()


async def test_next_fetch_walks_forward_with_min_id_from_the_link_header(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    source = MastodonSource(CONFIG, client)
    recorder.handler = page_response
    first = await source.fetch(None)

    # The server's own cursor (Link rel=prev) wins over the newest id of the answer;
    # they usually agree, so the test makes them differ to see which one is used.
    link = (
        f'<{BASE}/api/v1/timelines/tag/persevert2024?max_id=113942901234567890>; rel="next", '
        f'<{BASE}/api/v1/timelines/tag/persevert2024?min_id=113942901234567999>; rel="prev"'
    )

    def handler(request: httpx.Request) -> httpx.Response:
        assert_tag_request(request, min_id="113942870415727316")
        return page_response(request, "tag_page_next.json", Link=link)

    recorder.handler = handler
    second = await source.fetch(first.next_cursor)
    assert [post.id_at_source for post in second.posts] == ["113942901234567890"]
    assert json.loads(second.next_cursor or "")["tags"] == {"persevert2024": "113942901234567999"}

    def empty(request: httpx.Request) -> httpx.Response:
        assert_tag_request(request, min_id="113942901234567999")
        return httpx.Response(200, json=[])

    recorder.handler = empty
    third = await source.fetch(second.next_cursor)
    assert third == Page((), second.next_cursor, 0)


async def test_one_query_per_normalized_tag_with_a_bearer_token(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    config = SourceConfig(
        name="m",
        type="mastodon",
        base_url=BASE,
        hashtags=("perséVERT2024", "#PerseVert2024", "VagueVerte"),
        token="s3cret",
    )
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer s3cret"
        paths.append(request.url.path)
        return (
            page_response(request)
            if "persevert" in request.url.path
            else httpx.Response(200, json=[])
        )

    recorder.handler = handler
    page = await MastodonSource(config, client).fetch(None)
    # An empty head page: is the tag in use here? (It is not: no warning.)
    assert paths == [TAG_PATH, "/api/v1/timelines/tag/vagueverte", "/api/v1/tags/vagueverte"]
    assert page.warning is None
    assert len(page.posts) == 5
    assert set(json.loads(page.next_cursor or "")["tags"]) == {"persevert2024"}


async def test_unknown_tag_404_is_an_empty_page(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    recorder.handler = lambda request: httpx.Response(404, json={"error": "Record not found"})
    assert await MastodonSource(CONFIG, client).fetch(None) == Page((), None, 0)


async def test_html_404_means_a_wrong_base_url(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    recorder.handler = lambda request: httpx.Response(404, text="<html>Not Found</html>")
    with pytest.raises(PermanentSourceError, match="404"):
        await MastodonSource(CONFIG, client).fetch(None)


async def test_401_asks_for_a_token(recorder: Recorder, client: httpx.AsyncClient) -> None:
    recorder.handler = lambda request: httpx.Response(
        401, json={"error": "This method requires an authenticated user"}
    )
    with pytest.raises(PermanentSourceError, match="read:statuses") as caught:
        await MastodonSource(CONFIG, client).fetch(None)
    assert caught.value.source == "mastodon-social"


async def test_429_waits_until_the_iso_reset_time(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    reset = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=120)
    recorder.handler = lambda request: httpx.Response(
        429,
        json={"error": "Too many requests"},
        headers={
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset.isoformat().replace("+00:00", "Z"),
        },
    )
    with pytest.raises(RetryableSourceError) as caught:
        await MastodonSource(CONFIG, client).fetch(None)
    assert caught.value.retry_after is not None
    assert 110 < caught.value.retry_after <= 120


async def test_500_is_retryable_without_delay(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    recorder.handler = lambda request: httpx.Response(500, text="oops")
    with pytest.raises(RetryableSourceError, match="HTTP 500") as caught:
        await MastodonSource(CONFIG, client).fetch(None)
    assert caught.value.retry_after is None


async def test_timeout_is_retryable(recorder: Recorder, client: httpx.AsyncClient) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    recorder.handler = handler
    with pytest.raises(RetryableSourceError, match="timed out"):
        await MastodonSource(CONFIG, client).fetch(None)


@pytest.mark.parametrize(
    "body", [b'[{"id": "1", "uri": "https://x/1"', b"<html>Bad gateway</html>", b'{"statuses": []}']
)
async def test_garbage_is_retryable(
    recorder: Recorder, client: httpx.AsyncClient, body: bytes
) -> None:
    recorder.handler = lambda request: httpx.Response(200, content=body)
    with pytest.raises(RetryableSourceError):
        await MastodonSource(CONFIG, client).fetch(None)


async def test_unreadable_cursor_falls_back_to_a_head_read(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/tags/persevert2024":
            return httpx.Response(404, json={"error": "Record not found"})
        assert_tag_request(request)
        return httpx.Response(200, json=[])

    recorder.handler = handler
    await MastodonSource(CONFIG, client).fetch("not json")
    await MastodonSource(CONFIG, client).fetch('{"v": 99, "tags": {}}')
    paths = [request.url.path for request in recorder.requests]
    assert paths == [TAG_PATH, "/api/v1/tags/persevert2024"] * 2


@pytest.mark.parametrize(("status", "expected"), [(200, True), (404, False), (403, None)])
async def test_exists(
    recorder: Recorder, client: httpx.AsyncClient, status: int, expected: bool | None
) -> None:
    recorder.handler = page_response
    post = (await MastodonSource(CONFIG, client).fetch(None)).posts[0]

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v1/statuses/113942870415727316"
        body = fixture_bytes("mastodon", "status.json") if status == 200 else b'{"error": "x"}'
        return httpx.Response(status, content=body)

    recorder.handler = handler
    assert await MastodonSource(CONFIG, client).exists(post) is expected


async def test_exists_raises_on_throttling(recorder: Recorder, client: httpx.AsyncClient) -> None:
    recorder.handler = page_response
    post = (await MastodonSource(CONFIG, client).fetch(None)).posts[0]
    recorder.handler = lambda request: httpx.Response(503)
    with pytest.raises(RetryableSourceError):
        await MastodonSource(CONFIG, client).exists(post)


async def test_quote_post_caption_is_what_the_web_client_shows(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    recorder.handler = lambda request: page_response(request, "tag_page_quote.json")
    (post,) = (await MastodonSource(CONFIG, client).fetch(None)).posts

    assert post.caption == (
        "Notre classe aussi ! 💚🌿\n"
        "Les 4e années ont planté 12 arbres 👩🏽\u200d🌾\n\n"
        "Photos : ecoledessaules.qc.ca/nouvelle… #perseVERT2024"
    )
    # The quoted post's media is not this post's.
    assert [image.url for image in post.images] == [
        "https://files.mastodon.social/media_attachments/files/113/942/900/998/877/665/original/3f2a.jpg"
    ]
