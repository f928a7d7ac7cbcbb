"""Mastodon hashtag timelines (``GET /api/v1/timelines/tag/{tag}``), also as
GoToSocial, Akkoma and Pleroma serve them.

Mastodon folds accents itself, so each campaign hashtag is queried once, in
its ``normalize``d spelling. The cursor holds, per tag, the ``min_id`` to walk
forward from (taken from the ``Link rel="prev"`` header, else the newest id
of the page); ``min_id`` returns the page right after it, so nothing is
skipped. Ids are opaque and never compared. ``fetch(None)`` is the head
re-read for late federated posts (they get ids below ones already seen).

A new source starts at the campaign's start (``{"from": time}`` per tag).
The first fetch asks the server what it runs (``wall.sources.instance``):
on Mastodon the start becomes the snowflake ``min_id`` of that moment; on
servers whose ids carry no computable time (GoToSocial's ULIDs compared as
text, Akkoma's and Pleroma's FlakeIds) it walks back from the newest page
with ``max_id`` until a post older than the start, then forward with
``min_id`` from the newest real id it met (``_walk_back``). A head read that
comes back empty for a tag still in use on the server sets the page's
``warning`` to ``restricted`` (Mastodon 4.5 can restrict hashtag feeds).

Media: ``image`` → ``url``, else ``remote_url``, else ``preview_url``;
``unknown`` (the instance could not fetch a remote file) → ``remote_url``
only, so the media pipeline must sniff it; ``gifv``, ``video`` and ``audio``
are left out (a gifv's only still is a small preview, too small for a wall).
A boost is translated as the boosted status (its ``uri`` is the original's).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any, ClassVar
from urllib.parse import parse_qs, quote, urlsplit

import httpx

from wall.hashtags import normalize
from wall.sources import cursors, instance
from wall.sources.base import (
    Page,
    PermanentSourceError,
    RemoteAuthor,
    RemoteImage,
    RemotePost,
    RetryableSourceError,
    SourceConfig,
    StreamEvent,
)
from wall.sources.http import error_for_status, parse_time, read_json, seconds_until, send
from wall.sources.markup import html_to_text

PAGE_SIZE = 40
STREAM_CONNECT_SECONDS = 20.0
# Mastodon's streaming server sends a heartbeat every 15 s; four missed ones
# mean the connection is dead even if no error came.
STREAM_SILENCE_SECONDS = 60.0


def snowflake_id(moment: dt.datetime) -> str:
    """The smallest Mastodon status id of ``moment``: ids are milliseconds << 16.

    Walking forward with ``min_id`` from it reads a tag from the campaign's
    start, oldest page first. Only Mastodon numbers statuses this way
    (``instance.SNOWFLAKE_IDS``); other servers walk back instead.
    """
    return str(int(moment.timestamp() * 1000) << 16)


def _dimension(meta: Any, key: str) -> int | None:
    original = meta.get("original") if isinstance(meta, dict) else None
    value = original.get(key) if isinstance(original, dict) else None
    return value if isinstance(value, int) and value > 0 else None


def _image(media: dict[str, Any]) -> RemoteImage | None:
    # Only declared images: "unknown" is what an instance says of remote media
    # it could not fetch or read (an .svg, a sound), never worth a download.
    if media.get("type") != "image":
        return None
    url = media.get("url") or media.get("remote_url") or media.get("preview_url")
    if not isinstance(url, str) or not url:
        return None
    meta = media.get("meta")
    return RemoteImage(
        url=url,
        alt=media.get("description") or None,
        width=_dimension(meta, "width"),
        height=_dimension(meta, "height"),
        preview_url=media.get("preview_url") or None,
    )


def status_to_post(status: dict[str, Any], network: str, host: str) -> RemotePost:
    """One Mastodon-shaped status as a RemotePost; raises on a malformed status."""
    if isinstance(status.get("reblog"), dict):
        status = status["reblog"]
    account = status["account"]
    acct = account["acct"]
    handle = f"@{acct}" if "@" in acct else f"@{acct}@{host}"
    spoiler = (status.get("spoiler_text") or "").strip()
    reasons = []
    if status.get("sensitive"):
        reasons.append("marked_sensitive")
    if spoiler:
        reasons.append(f"content_warning:{spoiler}")
    images = tuple(
        image
        for media in status.get("media_attachments") or ()
        if isinstance(media, dict) and (image := _image(media))
    )
    edited = status.get("edited_at")
    return RemotePost(
        source=network,
        id_at_source=str(status["id"]),
        uri=status["uri"],
        permalink=status.get("url") or status["uri"],
        author=RemoteAuthor(
            name=account.get("display_name") or account.get("username") or acct,
            handle=handle,
            url=account.get("url"),
        ),
        posted_at=parse_time(status["created_at"]),
        caption=html_to_text(status.get("content") or ""),
        language=status.get("language") or None,
        sensitive=bool(reasons),
        sensitive_reasons=tuple(reasons),
        tags=tuple(str(tag["name"]) for tag in status.get("tags") or ()),
        images=images,
        is_reply=status.get("in_reply_to_id") is not None,
        edited_at=parse_time(edited) if edited else None,
    )


def statuses_to_posts(
    answer: Any, name: str, network: str, host: str, path: str
) -> tuple[list[RemotePost], int]:
    """Translate a list of statuses; a malformed one is counted, never fatal."""
    if not isinstance(answer, list):
        raise RetryableSourceError(name, f"unexpected answer from {path}: not a list of statuses")
    posts: list[RemotePost] = []
    skipped = 0
    for status in answer:
        try:
            posts.append(status_to_post(status, network, host))
        except (KeyError, TypeError, ValueError, AttributeError):
            skipped += 1
    return posts, skipped


def _prev_min_id(response: httpx.Response) -> str | None:
    prev = response.links.get("prev", {}).get("url")
    values = parse_qs(urlsplit(prev).query).get("min_id") if prev else None
    return values[0] if values else None


def _unknown_tag(response: httpx.Response) -> bool:
    # Older versions answer an unknown tag with 404 {"error": "Record not found"};
    # a 404 that is not JSON means base_url is not a Mastodon API.
    if response.status_code != 404:
        return False
    try:
        return isinstance(response.json(), dict)
    except ValueError:
        return False


def _reset_delay(response: httpx.Response) -> float | None:
    reset = response.headers.get("X-RateLimit-Reset")
    try:
        return seconds_until(parse_time(reset)) if reset else None
    except ValueError:
        return None


def _walk_back(
    walk: dict[str, Any], response: httpx.Response, answer: Any, found: list[RemotePost]
) -> str | dict[str, Any] | None:
    """The next state of a walk back to ``walk["from"]`` after reading one page.

    Pages go back with ``max_id`` until a post older than the start shows up
    or the tag has no older page; the walk then hands over to a forward walk
    with ``min_id`` from the newest id met on its first page (``top``), a real
    id of this server, so posts that arrived meanwhile are read next.
    """
    statuses = [item for item in answer if isinstance(item, dict) and item.get("id")]
    top = walk.get("top") or _prev_min_id(response)
    if top is None and statuses:
        top = str(statuses[0]["id"])
    start = parse_time(walk["from"])
    reached = (
        len(answer) < PAGE_SIZE or not statuses or any(post.posted_at < start for post in found)
    )
    if reached:
        return str(top) if top else {"from": walk["from"]}
    return {"from": walk["from"], "top": str(top), "back": str(statuses[-1]["id"])}


class MastodonSource:
    """Mastodon, and the servers that speak its API: GoToSocial, Akkoma, Pleroma.

    ``type = "mastodon"`` finds out which software answers (``instance``);
    ``gotosocial``, ``akkoma`` and ``pleroma`` say it. Posts are ``mastodon``
    posts whichever server answers, so one post seen on two servers is
    stored once.
    """

    required: ClassVar[tuple[str, ...]] = ()
    kind = "mastodon"

    def __init__(self, config: SourceConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self.client = client
        self.base = config.base_url.rstrip("/")
        self.host = urlsplit(self.base).hostname or self.base
        self.software: str | None = None if config.type == "mastodon" else config.type
        self.document: Any = None  # the instance document, once read

    def tag_spellings(self) -> list[str]:
        spellings: list[str] = []
        for tag in self.config.hashtags:
            if (form := normalize(tag)) and form not in spellings:
                spellings.append(form)
        return spellings

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.token}"} if self.config.token else {}

    async def get(self, path: str, params: dict[str, Any]) -> httpx.Response:
        response = await send(
            self.client,
            self.config.name,
            "GET",
            self.base + path,
            params=params,
            headers=self.auth_headers(),
        )
        if response.status_code == 401:
            raise PermanentSourceError(
                self.config.name,
                f"HTTP 401 from {path}: this instance needs an access token "
                "(scope read:statuses); set token for this source",
            )
        return response

    async def instance_document(self) -> Any:
        """``/api/v2/instance``, else ``/api/v1/instance``; ``None`` when neither answers."""
        if self.document is None:
            for path in ("/api/v2/instance", "/api/v1/instance"):
                response = await self.get(path, {})
                if response.status_code == 429 or response.status_code >= 500:
                    raise error_for_status(
                        response, self.config.name, retry_after=_reset_delay(response)
                    )
                if response.status_code == 200:
                    try:
                        self.document = response.json()
                    except ValueError:
                        continue
                    break
        return self.document

    async def detect(self) -> str:
        """The server's software (``wall.sources.instance``), read once per adapter."""
        if self.software is None:
            self.software = instance.software_of(await self.instance_document())
        return self.software

    async def _timeline(self, tag: str, params: dict[str, Any]) -> tuple[httpx.Response, Any]:
        path = f"/api/v1/timelines/tag/{quote(tag, safe='')}"
        response = await self.get(path, params)
        if _unknown_tag(response):
            return response, []
        if response.status_code != 200:
            raise error_for_status(response, self.config.name, retry_after=_reset_delay(response))
        return response, read_json(response, self.config.name)

    async def _restricted(self, tag: str) -> bool:
        """Whether a tag whose feed answered empty is in use here (Mastodon 4.5 can
        restrict hashtag feeds and then answers ``[]``)."""
        response = await self.get(f"/api/v1/tags/{quote(tag, safe='')}", {})
        if response.status_code != 200:
            return False
        try:
            document = response.json()
        except ValueError:
            return False
        history = document.get("history") if isinstance(document, dict) else None
        uses = 0
        for day in history if isinstance(history, list) else ():
            with contextlib.suppress(AttributeError, TypeError, ValueError):
                uses += int(day.get("uses") or 0)
        return uses > 0

    async def fetch(self, cursor: str | None) -> Page:
        state = cursors.decode(cursor)
        posts: dict[str, RemotePost] = {}
        skipped = 0
        warning: str | None = None
        new_state: dict[str, Any] = {}
        for tag in self.tag_spellings():
            raw = state.get(tag)
            if isinstance(raw, dict) and isinstance(raw.get("from"), str):
                raw = await self._resolve_start(raw)
            params: dict[str, Any] = {"limit": PAGE_SIZE}
            walk = raw if isinstance(raw, dict) else None
            min_id = raw if isinstance(raw, str) else None
            if min_id:
                params["min_id"] = min_id
            elif walk and isinstance(walk.get("back"), str):
                params["max_id"] = walk["back"]
            response, answer = await self._timeline(tag, params)
            path = response.request.url.path
            found, bad = statuses_to_posts(answer, self.config.name, self.kind, self.host, path)
            skipped += bad
            for post in found:
                posts.setdefault(post.uri, post)
            if not answer and len(params) == 1 and await self._restricted(tag):
                warning = "restricted"
            if walk is not None:
                if next_step := _walk_back(walk, response, answer, found):
                    new_state[tag] = next_step
                continue
            newest = answer[0].get("id") if answer and isinstance(answer[0], dict) else None
            next_id = _prev_min_id(response) or newest or min_id
            if next_id:
                new_state[tag] = str(next_id)
        return Page(
            tuple(posts.values()), cursors.encode(new_state), skipped=skipped, warning=warning
        )

    async def _resolve_start(self, start: dict[str, Any]) -> str | dict[str, Any]:
        """From the campaign's start: a snowflake ``min_id`` where ids are snowflakes,
        else a walk back from the newest page (``_walk_back``)."""
        if "top" in start or "back" in start:
            return start
        software = await self.detect()
        if software == instance.PIXELFED:
            # Its min_id reads the newest posts after an id, with gaps: not this walk.
            raise PermanentSourceError(
                self.config.name, 'this server runs Pixelfed: set type = "pixelfed"'
            )
        if software in instance.SNOWFLAKE_IDS:
            return snowflake_id(parse_time(start["from"]))
        return start

    def start_cursor(self) -> str | None:
        """From the campaign's start; the first fetch decides how (``_resolve_start``)."""
        if self.config.since is None:
            return None
        moment = self.config.since.astimezone(dt.UTC).isoformat()
        return cursors.encode({tag: {"from": moment} for tag in self.tag_spellings()})

    def stream_keys(self) -> list[str]:
        return self.tag_spellings()

    async def stream(self, key: str) -> AsyncIterator[StreamEvent]:
        """The ``hashtag`` stream of ``key`` (Server-Sent Events): ``update`` carries a
        status, ``delete`` the bare id of a deleted one; heartbeats are comments.

        The streaming server may live elsewhere (``configuration.urls.streaming``
        of the instance document). Mastodon 4.2 and later want a user token.
        """
        base = instance.streaming_base(await self.instance_document()) or self.base
        url = f"{base}/api/v1/streaming/hashtag"
        try:
            async with self.client.stream(
                "GET",
                url,
                params={"tag": key},
                headers={**self.auth_headers(), "Accept": "text/event-stream"},
                timeout=httpx.Timeout(STREAM_CONNECT_SECONDS, read=STREAM_SILENCE_SECONDS),
            ) as response:
                if response.status_code != 200:
                    await response.aread()
                    if response.status_code in (401, 403, 404):
                        raise PermanentSourceError(
                            self.config.name,
                            f"HTTP {response.status_code} from the hashtag stream "
                            "(a user token is needed since Mastodon 4.2); polling only",
                        )
                    raise error_for_status(response, self.config.name)
                event, data = "", []
                async for line in response.aiter_lines():
                    if line.startswith(":"):
                        continue  # heartbeat
                    if line:
                        field, _, value = line.partition(":")
                        value = value.removeprefix(" ")
                        if field == "event":
                            event = value
                        elif field == "data":
                            data.append(value)
                        continue
                    if translated := self._stream_event(event, "\n".join(data)):
                        yield translated
                    event, data = "", []
        except httpx.TimeoutException as exc:
            raise RetryableSourceError(self.config.name, "the hashtag stream went silent") from exc
        except httpx.TransportError as exc:
            raise RetryableSourceError(
                self.config.name, f"hashtag stream broken ({type(exc).__name__})"
            ) from exc

    def _stream_event(self, event: str, data: str) -> StreamEvent | None:
        if event == "delete" and data.strip():
            return StreamEvent(deleted_id=data.strip())
        if event in ("update", "status.update"):
            try:
                status = json.loads(data)
                return StreamEvent(post=status_to_post(status, self.kind, self.host))
            except (KeyError, TypeError, ValueError, AttributeError):
                return None  # one malformed event is skipped
        return None

    async def exists(self, post: RemotePost) -> bool | None:
        """Re-read the status on this instance: ``404`` means deleted (or no longer public)."""
        path = f"/api/v1/statuses/{quote(post.id_at_source, safe='')}"
        response = await self.get(path, {})
        if response.status_code == 200:
            return True
        if response.status_code in (404, 410):
            return False
        if response.status_code == 429 or response.status_code >= 500:
            raise error_for_status(response, self.config.name, retry_after=_reset_delay(response))
        return None
