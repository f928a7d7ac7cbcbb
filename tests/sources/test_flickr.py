import datetime as dt
import json

import httpx
import pytest
from conftest import Recorder, fixture_bytes

from wall.sources.base import (
    PermanentSourceError,
    RemoteAuthor,
    RemoteImage,
    RetryableSourceError,
    SourceConfig,
)
from wall.sources.flickr import EXTRAS, FlickrSource

CONFIG = SourceConfig(
    name="flickr", type="flickr", base_url="https://api.flickr.com", api_key="f1ickr-k3y"
)
TAGS = "persévert2024,persevert2024"


def flickr(name: str) -> httpx.Response:
    return httpx.Response(200, content=fixture_bytes("flickr", name))


def check(request: httpx.Request, method: str) -> httpx.QueryParams:
    assert request.method == "GET"
    assert request.url.host == "api.flickr.com" and request.url.path == "/services/rest/"
    params = request.url.params
    assert params["method"] == method
    assert params["api_key"] == "f1ickr-k3y"
    assert params["format"] == "json" and params["nojsoncallback"] == "1"
    return params


def first_page(request: httpx.Request) -> httpx.Response:
    params = check(request, "flickr.photos.search")
    assert params["tags"] == TAGS and params["tag_mode"] == "any"
    assert params["sort"] == "date-posted-desc" and params["safe_search"] == "1"
    assert params["extras"] == EXTRAS and params["page"] == "1"
    assert "min_upload_date" not in params
    return flickr("search_page1.json")


async def test_first_fetch(recorder: Recorder, client: httpx.AsyncClient) -> None:
    recorder.handler = first_page
    page = await FlickrSource(CONFIG, client).fetch(None)

    assert len(recorder.requests) == 1
    assert page.skipped == 1
    assert [post.id_at_source for post in page.posts] == [
        "53532145678",
        "53532000001",
        "53531999999",
        "53531888888",
    ]
    # A first read takes the head only, even though there is a page 2.
    assert json.loads(page.next_cursor or "")["tags"] == {
        TAGS: {"since": "2024-02-15T15:52:25.000000Z"}
    }


async def test_translation(recorder: Recorder, client: httpx.AsyncClient) -> None:
    recorder.handler = first_page
    full, medium, built, video = (await FlickrSource(CONFIG, client).fetch(None)).posts

    assert full.source == "flickr"
    assert full.uri == "https://www.flickr.com/photos/199887766@N04/53532145678/"
    assert full.permalink == "https://www.flickr.com/photos/fbelanger/53532145678/"
    assert full.author == RemoteAuthor(
        "François Bélanger", "fbelanger", "https://www.flickr.com/photos/fbelanger/"
    )
    assert full.posted_at == dt.datetime(2024, 2, 15, 15, 52, 25, tzinfo=dt.UTC)
    assert full.caption == (
        "Le Vieux-Québec en vert 💚\n\nPlace Royale, 15 février.\n"
        "Tout le monde en vert pour <Jeudi PerséVERT> & l'environnement.\n#perséVERT2024"
    )
    assert full.tags == ("persevert2024", "québec", "vieuxquébec")
    assert full.images == (
        RemoteImage(
            url="https://live.staticflickr.com/65535/53532145678_a1b2c3d4e5_b.jpg",
            width=1024,
            height=683,
            preview_url="https://live.staticflickr.com/65535/53532145678_a1b2c3d4e5_z.jpg",
        ),
    )
    assert medium.caption == ""
    assert medium.permalink == "https://www.flickr.com/photos/55443322@N00/53532000001/"
    assert medium.author is not None and medium.author.name == "Ông Nguyễn"
    assert (medium.images[0].width, medium.images[0].height) == (480, 640)
    assert built.images == (
        RemoteImage(
            url="https://live.staticflickr.com/65535/53531999999_99aa88bb77_b.jpg",
            preview_url="https://live.staticflickr.com/65535/53531999999_99aa88bb77_z.jpg",
        ),
    )
    assert video.images == ()


async def test_catch_up_walks_page_numbers(recorder: Recorder, client: httpx.AsyncClient) -> None:
    since = "2024-02-15T14:30:00.000000Z"
    cursor = json.dumps({"v": 1, "tags": {TAGS: {"since": since}}})
    lookback = int(dt.datetime(2024, 2, 15, 14, 20, tzinfo=dt.UTC).timestamp())

    def head(request: httpx.Request) -> httpx.Response:
        params = check(request, "flickr.photos.search")
        assert params["min_upload_date"] == str(lookback) and params["page"] == "1"
        return flickr("search_page1.json")  # page 1 of 2, oldest still newer than since

    recorder.handler = head
    source = FlickrSource(CONFIG, client)
    first = await source.fetch(cursor)
    assert json.loads(first.next_cursor or "")["tags"][TAGS] == {
        "since": since,
        "top": "2024-02-15T15:52:25.000000Z",
        "page": "2",
    }

    def second_page(request: httpx.Request) -> httpx.Response:
        params = check(request, "flickr.photos.search")
        assert params["page"] == "2" and params["min_upload_date"] == str(lookback)
        return httpx.Response(
            200, json={"photos": {"page": 2, "pages": 2, "photo": []}, "stat": "ok"}
        )

    recorder.handler = second_page
    second = await source.fetch(first.next_cursor)
    assert json.loads(second.next_cursor or "")["tags"][TAGS] == {
        "since": "2024-02-15T15:52:25.000000Z"
    }


async def test_invalid_key_at_http_200_is_permanent(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    recorder.handler = lambda request: flickr("error_invalid_key.json")
    with pytest.raises(PermanentSourceError, match="error 100"):
        await FlickrSource(CONFIG, client).fetch(None)


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, content=fixture_bytes("flickr", "error_unavailable.json")),
        httpx.Response(200, content=b'jsonFlickrApi({"stat": "ok"'),
        httpx.Response(200, json={"photos": None, "stat": "ok"}),
        httpx.Response(503, text="Service Unavailable"),
    ],
)
async def test_other_failures_are_retryable(
    recorder: Recorder, client: httpx.AsyncClient, answer: httpx.Response
) -> None:
    recorder.handler = lambda request: answer
    with pytest.raises(RetryableSourceError):
        await FlickrSource(CONFIG, client).fetch(None)


async def test_timeout_is_retryable(recorder: Recorder, client: httpx.AsyncClient) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    recorder.handler = handler
    with pytest.raises(RetryableSourceError, match="timed out"):
        await FlickrSource(CONFIG, client).fetch(None)


@pytest.mark.parametrize(
    ("name", "expected"), [("get_info.json", True), ("error_not_found.json", False)]
)
async def test_exists(
    recorder: Recorder, client: httpx.AsyncClient, name: str, expected: bool
) -> None:
    recorder.handler = first_page
    post = (await FlickrSource(CONFIG, client).fetch(None)).posts[0]

    def handler(request: httpx.Request) -> httpx.Response:
        assert check(request, "flickr.photos.getInfo")["photo_id"] == "53532145678"
        return flickr(name)

    recorder.handler = handler
    assert await FlickrSource(CONFIG, client).exists(post) is expected
