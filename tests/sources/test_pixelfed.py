import copy
import json
from typing import Any

import httpx
import pytest
from conftest import Recorder, fixture_bytes, fixture_json

from wall.sources.base import PermanentSourceError, RetryableSourceError, SourceConfig
from wall.sources.pixelfed import PixelfedSource

CONFIG = SourceConfig(
    name="pixelfed-social", type="pixelfed", base_url="https://pixelfed.social", token="pf-token"
)
ACCENTED = "/api/v1/timelines/tag/persévert2024"
FOLDED = "/api/v1/timelines/tag/persevert2024"


def check(request: httpx.Request) -> None:
    assert request.method == "GET"
    assert request.headers["authorization"] == "Bearer pf-token"
    assert request.url.params["limit"] == "40"


def two_spellings(request: httpx.Request) -> httpx.Response:
    check(request)
    assert "min_id" not in request.url.params and "max_id" not in request.url.params
    name = {ACCENTED: "tag_accented.json", FOLDED: "tag_folded.json"}[request.url.path]
    return httpx.Response(200, content=fixture_bytes("pixelfed", name))


async def test_both_spellings_are_queried_and_merged(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    recorder.handler = two_spellings
    page = await PixelfedSource(CONFIG, client).fetch(None)

    assert [request.url.path for request in recorder.requests] == [ACCENTED, FOLDED]
    assert page.skipped == 1
    assert [post.id_at_source for post in page.posts] == [
        "702345678901234567",  # seen under both spellings, kept once
        "702345600000000001",
        "702345690000000003",
    ]
    assert json.loads(page.next_cursor or "")["tags"] == {
        "persévert2024": {"since": "702345678901234567"},
        "persevert2024": {"since": "702345690000000003"},
    }


async def test_translation(recorder: Recorder, client: httpx.AsyncClient) -> None:
    recorder.handler = two_spellings
    wall_post, lake, reply = (await PixelfedSource(CONFIG, client).fetch(None)).posts

    assert wall_post.source == "pixelfed"
    assert wall_post.uri == wall_post.permalink
    assert wall_post.tags == ("perséVERT2024", "Québec")
    assert (
        wall_post.caption == "Mur végétal de l'école des Trois-Saisons 🌿\n#perséVERT2024 #Québec"
    )
    assert wall_post.language is None
    assert wall_post.author is not None
    assert wall_post.author.handle == "@elodie.tremblay@pixelfed.social"
    assert [(image.width, image.height, image.alt) for image in wall_post.images] == [
        (1440, 1800, "Un mur de plantes grimpantes dans le hall"),
        (None, None, None),  # meta null
    ]
    assert lake.sensitive and lake.sensitive_reasons == ("marked_sensitive",)
    assert reply.is_reply and reply.images == ()  # video only


async def test_next_fetch_uses_min_id_per_spelling(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    cursor = json.dumps(
        {
            "v": 1,
            "tags": {
                "persévert2024": {"since": "702345678901234567"},
                "persevert2024": {"since": "9"},
            },
        }
    )
    seen: dict[str, str] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        check(request)
        seen[request.url.path] = request.url.params["min_id"]
        return httpx.Response(200, json=[])

    recorder.handler = handler
    page = await PixelfedSource(CONFIG, client).fetch(cursor)
    assert seen == {ACCENTED: "702345678901234567", FOLDED: "9"}
    assert json.loads(page.next_cursor or "") == json.loads(cursor)


def numbered_page(first_id: int, count: int) -> list[dict[str, Any]]:
    template = fixture_json("pixelfed", "tag_folded.json")[0]
    statuses = []
    for offset in range(count):
        status = copy.deepcopy(template)
        status["id"] = str(first_id - offset)
        status["uri"] = status["url"] = f"https://pixelfed.social/p/sam.k/{status['id']}"
        statuses.append(status)
    return statuses


async def test_a_full_page_is_followed_back_until_the_last_id_read(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    # Ids of different lengths: "1000" > "999" only when compared as numbers.
    config = SourceConfig(
        name="p",
        type="pixelfed",
        base_url="https://pixelfed.social",
        token="pf-token",
        hashtags=("persevert2024",),
    )
    source = PixelfedSource(config, client)
    cursor = json.dumps({"v": 1, "tags": {"persevert2024": {"since": "960"}}})

    def head(request: httpx.Request) -> httpx.Response:
        check(request)
        assert request.url.params["min_id"] == "960"
        return httpx.Response(200, json=numbered_page(1039, 40))  # 1039 … 1000

    recorder.handler = head
    first = await source.fetch(cursor)
    state = json.loads(first.next_cursor or "")["tags"]["persevert2024"]
    assert state == {"since": "960", "top": "1039", "page": "1000"}

    def back(request: httpx.Request) -> httpx.Response:
        check(request)
        assert request.url.params["max_id"] == "1000"
        assert "min_id" not in request.url.params
        return httpx.Response(200, json=numbered_page(999, 40))  # 999 … 960

    recorder.handler = back
    second = await source.fetch(first.next_cursor)
    assert len(second.posts) == 40
    assert json.loads(second.next_cursor or "")["tags"]["persevert2024"] == {"since": "1039"}


@pytest.mark.parametrize("status", [401, 403, 302])
async def test_refused_token_is_permanent(
    recorder: Recorder, client: httpx.AsyncClient, status: int
) -> None:
    headers = {"Location": "https://pixelfed.social/login"} if status == 302 else {}
    recorder.handler = lambda request: httpx.Response(status, headers=headers)
    with pytest.raises(PermanentSourceError, match="token"):
        await PixelfedSource(CONFIG, client).fetch(None)


async def test_429_500_timeout_and_garbage_are_retryable(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    answers = [
        lambda request: httpx.Response(429, headers={"Retry-After": "30"}),
        lambda request: httpx.Response(500),
        timeout,
        lambda request: httpx.Response(200, content=b'[{"id": "1",'),
    ]
    delays = []
    for answer in answers:
        recorder.handler = answer
        with pytest.raises(RetryableSourceError) as caught:
            await PixelfedSource(CONFIG, client).fetch(None)
        delays.append(caught.value.retry_after)
    assert delays == [30.0, None, None, None]


@pytest.mark.parametrize(("status", "expected"), [(200, True), (404, False)])
async def test_exists(
    recorder: Recorder, client: httpx.AsyncClient, status: int, expected: bool
) -> None:
    recorder.handler = two_spellings
    post = (await PixelfedSource(CONFIG, client).fetch(None)).posts[1]

    def handler(request: httpx.Request) -> httpx.Response:
        check_auth = request.headers["authorization"] == "Bearer pf-token"
        assert check_auth and request.url.path == "/api/v1/statuses/702345600000000001"
        return httpx.Response(status, json={} if status == 200 else {"error": "Not found"})

    recorder.handler = handler
    assert await PixelfedSource(CONFIG, client).exists(post) is expected
