import datetime as dt
import json
import time

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
from wall.sources.bluesky import BlueskySource

CONFIG = SourceConfig(
    name="bluesky",
    type="bluesky",
    base_url="https://bsky.social",
    identifier="vagueverte.bsky.social",
    app_password="abcd-efgh-ijkl-mnop",
)
SEARCH = "/xrpc/app.bsky.feed.searchPosts"
ACCESS_ONE = "Bearer eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJFUzI1NksifQ.access-one.sig"
ACCESS_TWO = "Bearer eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJFUzI1NksifQ.access-two.sig"
REFRESH_ONE = "Bearer eyJ0eXAiOiJyZWZyZXNoK2p3dCIsImFsZyI6IkVTMjU2SyJ9.refresh-one.sig"


def bsky(name: str, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=fixture_bytes("bluesky", name), headers=headers)


def sign_in(request: httpx.Request) -> httpx.Response:
    assert request.method == "POST"
    assert request.url.path == "/xrpc/com.atproto.server.createSession"
    assert "authorization" not in request.headers
    assert json.loads(request.content) == {
        "identifier": "vagueverte.bsky.social",
        "password": "abcd-efgh-ijkl-mnop",
    }
    return bsky("session.json")


def search(request: httpx.Request) -> httpx.Response:
    assert request.method == "GET" and request.url.path == SEARCH
    assert request.headers["authorization"] == ACCESS_ONE
    params = request.url.params
    assert params["sort"] == "latest" and params["limit"] == "100"
    assert "since" not in params and "cursor" not in params
    return bsky(
        {"#persévert2024": "search_accented.json", "#persevert2024": "search_folded.json"}[
            params["q"]
        ]
    )


def routes(request: httpx.Request) -> httpx.Response:
    return sign_in(request) if request.method == "POST" else search(request)


async def test_signs_in_once_and_searches_both_spellings(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    recorder.handler = routes
    source = BlueskySource(CONFIG, client)
    page = await source.fetch(None)
    await source.fetch(None)

    assert [r.url.path for r in recorder.requests] == [
        "/xrpc/com.atproto.server.createSession",
        SEARCH,
        SEARCH,
        SEARCH,
        SEARCH,
    ]
    assert [r.url.params["q"] for r in recorder.requests[1:3]] == [
        "#persévert2024",
        "#persevert2024",
    ]
    assert page.skipped == 1  # the view without a record
    assert page.withheld == 1  # the author labelled !no-unauthenticated
    assert len(page.posts) == 6
    assert json.loads(page.next_cursor or "")["tags"] == {
        "persévert2024": {"since": "2024-02-15T13:45:10.512000Z"},
        "persevert2024": {"since": "2024-02-15T14:05:00.000000Z"},
    }


async def test_translation(recorder: Recorder, client: httpx.AsyncClient) -> None:
    recorder.handler = routes
    team, reply, quote, nsfw, gallery, video = (
        await BlueskySource(CONFIG, client).fetch(None)
    ).posts

    assert team.source == "bluesky"
    assert (
        team.uri
        == team.id_at_source
        == "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3kllz6qpwbs2x"
    )
    assert team.permalink == "https://bsky.app/profile/amelie-roy.bsky.social/post/3kllz6qpwbs2x"
    assert team.author == RemoteAuthor(
        "Amélie Roy 🌲",
        "@amelie-roy.bsky.social",
        "https://bsky.app/profile/amelie-roy.bsky.social",
    )
    assert team.caption.startswith("Toute l'équipe en vert ce matin 💚 #perséVERT2024")
    assert team.posted_at == dt.datetime(2024, 2, 15, 13, 45, 10, 512000, tzinfo=dt.UTC)
    assert team.tags == ("perséVERT2024", "Québec", "vagueverte")
    assert team.language == "fr" and not team.is_reply and not team.sensitive
    assert team.images == (
        RemoteImage(
            url="https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:z72i7hdynmk6r22z27h6tvur/bafkreih1@jpeg",
            alt="L'équipe du bureau en chandails verts devant une fenêtre",
            width=2000,
            height=1500,
            preview_url="https://cdn.bsky.app/img/feed_thumbnail/plain/did:plc:z72i7hdynmk6r22z27h6tvur/bafkreih1@jpeg",
        ),
        RemoteImage(
            url="https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:z72i7hdynmk6r22z27h6tvur/bafkreih2@jpeg",
            preview_url="https://cdn.bsky.app/img/feed_thumbnail/plain/did:plc:z72i7hdynmk6r22z27h6tvur/bafkreih2@jpeg",
        ),
    )

    # handle.invalid: the DID names the author; recordWithMedia: only `media` counts.
    assert reply.is_reply
    assert (
        reply.permalink
        == "https://bsky.app/profile/did:plc:4qmwnrbgqz2vu7vr4tdnt6ze/post/3kllz3aaqdc2k"
    )
    assert reply.author is not None and reply.author.name == "did:plc:4qmwnrbgqz2vu7vr4tdnt6ze"
    assert [image.alt for image in reply.images] == ["Un sapin décoré"]

    assert quote.images == ()  # the quoted post's images are not this post's
    assert nsfw.sensitive and nsfw.sensitive_reasons == (
        "label:nudity",
        "label:porn",
    )  # neg ignored

    assert gallery.language == "vi"
    assert [(i.alt, i.preview_url is not None) for i in gallery.images] == [
        ("Pothos", True),
        ("Monstera", True),
    ]
    assert video.images == ()


async def test_catch_up_follows_the_search_cursor_then_moves_since(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    config = SourceConfig(
        name="b",
        type="bluesky",
        base_url="https://bsky.social",
        hashtags=("persévert2024",),
        identifier="vagueverte.bsky.social",
        app_password="abcd-efgh-ijkl-mnop",
    )
    source = BlueskySource(config, client)
    cursor = json.dumps(
        {"v": 1, "tags": {"persévert2024": {"since": "2024-02-15T13:00:00.000000Z"}}}
    )

    def head(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return sign_in(request)
        if request.url.params["q"] == "#persevert2024":  # the folded spelling: nothing yet
            assert "since" not in request.url.params
            return httpx.Response(200, json={"posts": []})
        assert request.url.params["since"] == "2024-02-15T12:55:00.000000Z"  # minus the lookback
        assert "cursor" not in request.url.params
        return bsky("search_accented.json")  # all newer than since, and a cursor: go on

    recorder.handler = head
    first = await source.fetch(cursor)
    assert json.loads(first.next_cursor or "")["tags"]["persévert2024"] == {
        "since": "2024-02-15T13:00:00.000000Z",
        "top": "2024-02-15T13:45:10.512000Z",
        "page": "3",
    }

    def rest(request: httpx.Request) -> httpx.Response:
        if request.url.params["q"] == "#persevert2024":
            return httpx.Response(200, json={"posts": []})
        assert request.url.params["cursor"] == "3"
        assert request.url.params["since"] == "2024-02-15T12:55:00.000000Z"
        return httpx.Response(200, json={"posts": []})

    recorder.handler = rest
    second = await source.fetch(first.next_cursor)
    assert json.loads(second.next_cursor or "")["tags"]["persévert2024"] == {
        "since": "2024-02-15T13:45:10.512000Z"
    }


@pytest.mark.parametrize(
    "expired",
    [
        httpx.Response(400, json={"error": "ExpiredToken", "message": "Token has expired"}),
        httpx.Response(
            401, json={"error": "InvalidToken", "message": "Token could not be verified"}
        ),
    ],
)
async def test_expired_access_token_is_refreshed(
    recorder: Recorder, client: httpx.AsyncClient, expired: httpx.Response
) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path.endswith("createSession"):
            return sign_in(request)
        if request.url.path.endswith("refreshSession"):
            assert request.method == "POST"
            assert request.headers["authorization"] == REFRESH_ONE
            return bsky("refreshed.json")
        if request.headers["authorization"] == ACCESS_ONE:
            return expired
        assert request.headers["authorization"] == ACCESS_TWO
        return httpx.Response(200, json={"posts": []})

    recorder.handler = handler
    await BlueskySource(CONFIG, client).fetch(None)
    assert calls == [
        "/xrpc/com.atproto.server.createSession",
        SEARCH,
        "/xrpc/com.atproto.server.refreshSession",
        SEARCH,
        SEARCH,
    ]


async def test_refused_refresh_signs_in_again(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    sessions = iter(["session.json", "refreshed.json"])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("createSession"):
            sign_in(request)
            return bsky(next(sessions))
        if request.url.path.endswith("refreshSession"):
            return httpx.Response(400, json={"error": "ExpiredToken"})
        if request.headers["authorization"] == ACCESS_ONE:
            return httpx.Response(400, json={"error": "ExpiredToken"})
        return httpx.Response(200, json={"posts": []})

    recorder.handler = handler
    page = await BlueskySource(CONFIG, client).fetch(None)
    assert page.posts == ()
    assert sum(r.url.path.endswith("createSession") for r in recorder.requests) == 2


async def test_bad_app_password_is_permanent(recorder: Recorder, client: httpx.AsyncClient) -> None:
    recorder.handler = lambda request: httpx.Response(
        401, json={"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
    )
    with pytest.raises(PermanentSourceError, match="app_password"):
        await BlueskySource(CONFIG, client).fetch(None)


async def test_429_waits_until_the_epoch_reset(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    reset = str(int(time.time()) + 90)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return sign_in(request)
        return httpx.Response(
            429,
            json={"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
            headers={
                "RateLimit-Limit": "3000",
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": reset,
            },
        )

    recorder.handler = handler
    with pytest.raises(RetryableSourceError, match="RateLimitExceeded") as caught:
        await BlueskySource(CONFIG, client).fetch(None)
    assert caught.value.retry_after is not None and 85 < caught.value.retry_after <= 90


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(502, text="Bad Gateway"),
        httpx.Response(200, content=b'{"posts": [{"uri": '),
        httpx.Response(200, json={"error": "nope"}),
    ],
)
async def test_5xx_and_garbage_are_retryable(
    recorder: Recorder, client: httpx.AsyncClient, answer: httpx.Response
) -> None:
    recorder.handler = lambda request: sign_in(request) if request.method == "POST" else answer
    with pytest.raises(RetryableSourceError):
        await BlueskySource(CONFIG, client).fetch(None)


async def test_timeout_during_sign_in_is_retryable(
    recorder: Recorder, client: httpx.AsyncClient
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    recorder.handler = handler
    with pytest.raises(RetryableSourceError, match="timed out"):
        await BlueskySource(CONFIG, client).fetch(None)


async def test_exists_asks_get_posts(recorder: Recorder, client: httpx.AsyncClient) -> None:
    recorder.handler = routes
    source = BlueskySource(CONFIG, client)
    team, reply, *_ = (await source.fetch(None)).posts

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/xrpc/app.bsky.feed.getPosts"
        assert request.headers["authorization"] == ACCESS_ONE
        assert request.url.params["uris"] in (team.uri, reply.uri)
        return bsky("get_posts.json")  # holds only the first post

    recorder.handler = handler
    assert await source.exists(team) is True
    assert await source.exists(reply) is False
