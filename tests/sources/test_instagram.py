import datetime as dt
import json

import httpx
import pytest
from conftest import Recorder, fixture_bytes

from wall.sources.base import PermanentSourceError, RemoteImage, RetryableSourceError, SourceConfig
from wall.sources.instagram import FIELDS, InstagramSource, caption_tags

CONFIG = SourceConfig(
    name="instagram",
    type="instagram",
    base_url="https://graph.facebook.com/v21.0",
    token="IGQVJ-token",
    user_id="17841400008460056",
)
ACCENTED_ID, FOLDED_ID = "17841562498105353", "17843826142012701"
AFTER = "QVFIUmx1WTBpMGpRT3p1aFRCQ0R0S2RZAbVF6OGdLZAWw3LWhJd2V"


def ig(name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=fixture_bytes("instagram", name))


def graph(request: httpx.Request) -> httpx.Response:
    assert request.method == "GET"
    params = request.url.params
    assert params["access_token"] == "IGQVJ-token"
    assert params["user_id"] == "17841400008460056"
    assert "authorization" not in request.headers
    if request.url.path == "/v21.0/ig_hashtag_search":
        return ig(
            {
                "persévert2024": "hashtag_search_accented.json",
                "persevert2024": "hashtag_search_folded.json",
            }[params["q"]]
        )
    assert params["fields"] == FIELDS and params["limit"] == "50"
    if request.url.path == f"/v21.0/{ACCENTED_ID}/recent_media":
        return ig("recent_media.json")
    assert request.url.path == f"/v21.0/{FOLDED_ID}/recent_media"
    return httpx.Response(200, json={"data": []})


async def test_looks_up_hashtag_ids_once_and_reads_recent_media(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    recorder.handler = graph
    source = InstagramSource(CONFIG, client)
    page = await source.fetch(None)

    assert [r.url.path for r in recorder.requests] == [
        "/v21.0/ig_hashtag_search",
        f"/v21.0/{ACCENTED_ID}/recent_media",
        "/v21.0/ig_hashtag_search",
        f"/v21.0/{FOLDED_ID}/recent_media",
    ]
    assert page.skipped == 1
    assert json.loads(page.next_cursor or "")["tags"] == {
        "persévert2024": {"id": ACCENTED_ID, "since": "2024-02-15T15:12:44.000000Z"},
        "persevert2024": {"id": FOLDED_ID},
    }

    # A new adapter (a restart) takes the ids from the cursor: no more lookups.
    recorder.requests.clear()
    await InstagramSource(CONFIG, client).fetch(page.next_cursor)
    assert all(r.url.path.endswith("/recent_media") for r in recorder.requests)


async def test_translation(recorder: Recorder, client: httpx.AsyncClient) -> None:
    recorder.handler = graph
    album, single, video, no_caption = (await InstagramSource(CONFIG, client).fetch(None)).posts

    assert album.source == "instagram"
    assert album.uri == "instagram:media:18034567890123456"
    assert album.permalink == "https://www.instagram.com/p/C3aBcDeFgHi/"
    assert album.author is None
    assert album.posted_at == dt.datetime(2024, 2, 15, 15, 12, 44, tzinfo=dt.UTC)
    assert album.tags == ("perséVERT2024", "Québec", "écoleverte")
    assert album.caption.startswith("Journée verte à l'école primaire des Saules 💚🌿\n")
    assert [image.url.split("?")[0].rsplit("/", 1)[1] for image in album.images] == [
        "4280_n.jpg",
        "4281_n.jpg",
    ]  # the video child is left out
    assert single.images == (
        RemoteImage(
            url="https://scontent-yyz1-1.cdninstagram.com/v/t51.29350-15/4290_n.jpg?_nc_cat=108&ccb=1-7&oh=00_AfC3&oe=65D30000"
        ),
    )
    assert single.tags == ("PerséVERT2024",)
    assert video.images == ()
    assert no_caption.caption == "" and no_caption.tags == ()


async def test_a_full_page_is_followed_with_after(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    config = SourceConfig(
        name="i",
        type="instagram",
        base_url="https://graph.facebook.com/v21.0",
        token="IGQVJ-token",
        user_id="17841400008460056",
        hashtags=("persevert2024",),
    )
    cursor = json.dumps(
        {
            "v": 1,
            "tags": {"persevert2024": {"id": FOLDED_ID, "since": "2024-02-15T14:00:00.000000Z"}},
        }
    )

    def head(request: httpx.Request) -> httpx.Response:
        assert "after" not in request.url.params
        return ig("recent_media.json")  # everything newer than since, and a next page

    recorder.handler = head
    source = InstagramSource(config, client)
    first = await source.fetch(cursor)
    assert json.loads(first.next_cursor or "")["tags"]["persevert2024"] == {
        "id": FOLDED_ID,
        "since": "2024-02-15T14:00:00.000000Z",
        "top": "2024-02-15T15:12:44.000000Z",
        "page": AFTER,
    }

    def older(request: httpx.Request) -> httpx.Response:
        assert request.url.params["after"] == AFTER
        return httpx.Response(200, json={"data": [], "paging": {}})

    recorder.handler = older
    second = await source.fetch(first.next_cursor)
    assert json.loads(second.next_cursor or "")["tags"]["persevert2024"] == {
        "id": FOLDED_ID,
        "since": "2024-02-15T15:12:44.000000Z",
    }


async def test_throttling_error_object_is_retryable_with_the_usage_delay(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    usage = {
        "17841400008460056": [
            {"type": "instagram", "call_count": 100, "estimated_time_to_regain_access": 7}
        ]
    }
    recorder.handler = lambda request: httpx.Response(
        400,
        content=fixture_bytes("instagram", "error_throttled.json"),
        headers={"X-Business-Use-Case-Usage": json.dumps(usage)},
    )
    with pytest.raises(RetryableSourceError, match="error 4") as caught:
        await InstagramSource(CONFIG, client).fetch(None)
    assert caught.value.retry_after == 420.0


async def test_error_object_at_http_200_is_still_an_error(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    recorder.handler = lambda request: ig("error_throttled.json", 200)
    with pytest.raises(RetryableSourceError):
        await InstagramSource(CONFIG, client).fetch(None)


async def test_expired_token_is_permanent(recorder: Recorder, client: httpx.AsyncClient) -> None:
    recorder.handler = lambda request: ig("error_token.json", 400)
    with pytest.raises(PermanentSourceError, match="error 190"):
        await InstagramSource(CONFIG, client).fetch(None)


async def test_unknown_hashtag_is_skipped(recorder: Recorder, client: httpx.AsyncClient) -> None:
    recorder.handler = lambda request: httpx.Response(200, json={"data": []})
    page = await InstagramSource(CONFIG, client).fetch(None)
    assert page.posts == () and page.next_cursor is None
    assert [r.url.path for r in recorder.requests] == ["/v21.0/ig_hashtag_search"] * 2


@pytest.mark.parametrize(
    "answer",
    [httpx.Response(500, text="oops"), httpx.Response(200, content=b'{"data": [')],
)
async def test_500_and_garbage_are_retryable(
    recorder: Recorder, client: httpx.AsyncClient, answer: httpx.Response
) -> None:
    recorder.handler = lambda request: answer
    with pytest.raises(RetryableSourceError):
        await InstagramSource(CONFIG, client).fetch(None)


async def test_timeout_is_retryable(recorder: Recorder, client: httpx.AsyncClient) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("no route", request=request)

    recorder.handler = handler
    with pytest.raises(RetryableSourceError, match="timed out"):
        await InstagramSource(CONFIG, client).fetch(None)


async def test_exists_cannot_tell(recorder: Recorder, client: httpx.AsyncClient) -> None:
    recorder.handler = graph
    post = (await InstagramSource(CONFIG, client).fetch(None)).posts[0]
    recorder.requests.clear()
    assert await InstagramSource(CONFIG, client).exists(post) is None
    assert recorder.requests == []


async def test_album_without_children_gives_its_cover(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == f"/v21.0/{ACCENTED_ID}/recent_media":
            return ig("recent_media_albums.json")
        return graph(request)

    recorder.handler = handler
    cover_only, no_url, with_children = (await InstagramSource(CONFIG, client).fetch(None)).posts

    def names(images: tuple[RemoteImage, ...]) -> list[str]:
        return [image.url.split("?")[0].rsplit("/", 1)[1] for image in images]

    assert names(cover_only.images) == ["4410_n.jpg"]
    assert no_url.images == ()
    assert names(with_children.images) == ["4413_n.jpg"]  # children win over the cover
    # A #fragment inside a URL is no tag; the one after a space is.
    assert cover_only.tags == ("perséVERT2024",)
    assert with_children.tags == ()


@pytest.mark.parametrize(
    ("caption", "tags"),
    [
        ("Nos semis 🌱 #école#perséVERT2024", ("école", "perséVERT2024")),
        ("#école＃perséVERT2024", ("école", "perséVERT2024")),  # full-width hash sign
        ("#école,#perséVERT2024!", ("école", "perséVERT2024")),
        ("##perséVERT2024", ("perséVERT2024",)),
        ("#2024#perséVERT2024", ("perséVERT2024",)),  # "#2024" alone is no tag
        ("https://ecole.qc.ca/#a#perséVERT2024", ()),  # still nothing inside a URL
        ("mot#perséVERT2024", ()),
    ],
)
def test_glued_hashtags_count_one_by_one(caption: str, tags: tuple[str, ...]) -> None:
    assert caption_tags(caption) == tags
