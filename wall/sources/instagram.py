"""Instagram hashtag search through the Graph API (professional accounts only).

Needs a Business or Creator account linked to a Facebook Page, App Review for
*Instagram Public Content Access*, a user access token (``token``) and the
account's id (``user_id``); ``base_url`` is the versioned Graph host, e.g.
``https://graph.facebook.com/v21.0``. The token travels as the
``access_token`` query parameter, as the Graph API documents.

Limits that shape this adapter:

- ``recent_media`` covers only the **last 24 hours**: a source that stops
  polling for a day loses what was posted meanwhile, for good.
- Each account may query **30 unique hashtags per rolling 7 days**; both
  spellings of each campaign hashtag are queried, so each campaign hashtag
  costs two slots. The hashtag id (``ig_hashtag_search``) is kept in the
  cursor and in the instance, so it is looked up once.
- 50 posts per page, newest first, ``after`` cursor only: the cursor is a
  ``cursors.Walk`` per spelling over timestamps, plus the hashtag id.
- No author, avatar, alt text, size or sensitivity flag is available;
  ``media_url`` is a signed, expiring URL (download it at once). Video posts
  come back with no images; an album gives its ``children`` images, or its
  cover (``media_url``) when ``children`` is missing; tags are the ``#words`` of the plain caption,
  a glued ``#onam#wayanad`` counting as two (``caption_tags``).
- Failures come as a JSON ``error`` object: codes 4, 17, 32, 613 and
  80001–80009 are throttling (retryable, with the delay of
  ``X-Business-Use-Case-Usage`` when given); 190 is a bad or expired token.

Deletions cannot be checked: ``exists`` answers ``None``.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

import httpx

from wall.hashtags import find_tags, query_forms
from wall.sources import cursors
from wall.sources.base import (
    Page,
    PermanentSourceError,
    RemoteImage,
    RemotePost,
    RetryableSourceError,
    SourceConfig,
    SourceError,
)
from wall.sources.http import parse_time, read_json, retry_after_header, send

PAGE_SIZE = 50
FIELDS = "id,caption,media_type,media_url,permalink,timestamp,children{media_type,media_url}"
THROTTLING = frozenset({4, 17, 32, 613, *range(80001, 80010)})
_HASH_SIGN = re.compile("[#\uff03]")


def _regain_delay(response: httpx.Response) -> float | None:
    # {"<id>": [{"type": "instagram", "estimated_time_to_regain_access": <minutes>, ...}]}
    try:
        usage = json.loads(response.headers["X-Business-Use-Case-Usage"])
        minutes = [
            entry["estimated_time_to_regain_access"]
            for entries in usage.values()
            for entry in entries
        ]
        return max(float(value) for value in minutes) * 60.0
    except (KeyError, ValueError, TypeError, AttributeError):
        return retry_after_header(response)


def graph_error(response: httpx.Response, source: str) -> SourceError:
    try:
        error = response.json()["error"]
        code, message = int(error.get("code", 0)), str(error.get("message", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        code, message = 0, ""
    where = f"HTTP {response.status_code} from {response.request.url.path}"
    if code:
        where = f"{where}: error {code} {message}".rstrip()
    if code in THROTTLING or response.status_code == 429:
        return RetryableSourceError(source, where, retry_after=_regain_delay(response))
    if code == 190:
        return PermanentSourceError(source, f"{where} (the access token is invalid or expired)")
    if code in (1, 2) or response.status_code >= 500 or (not code and response.status_code == 200):
        return RetryableSourceError(source, where)
    return PermanentSourceError(source, where)


def _images(media: dict[str, Any]) -> tuple[RemoteImage, ...]:
    kind = media.get("media_type")
    if kind == "IMAGE" and isinstance(media.get("media_url"), str):
        return (RemoteImage(url=media["media_url"]),)
    if kind == "CAROUSEL_ALBUM":
        children = (media.get("children") or {}).get("data") or ()
        if children:
            return tuple(image for child in children for image in _images(child))
        # Instagram leaves ``children`` out of some answers; the album's own
        # ``media_url`` is then its cover image.
        if isinstance(media.get("media_url"), str):
            return (RemoteImage(url=media["media_url"]),)
    return ()  # VIDEO, or an image whose URL Instagram left out


def caption_tags(caption: str) -> tuple[str, ...]:
    """The caption's ``#tags`` as Instagram reads them: ``#onam#wayanad`` is two tags.

    Instagram ends a tag at the next ``#`` and files the post under each one
    (its #love top media holds a post whose only #love is
    ``#love#instagood#malayalamquotes``); ``find_tags`` alone, with Bluesky's
    boundaries, would read one tag ``love#instagood#malayalamquotes``.
    """
    return tuple(
        tag
        for found in find_tags(caption)
        for piece in _HASH_SIGN.split(found)
        for tag in find_tags(f"#{piece}")
    )


def media_to_post(media: dict[str, Any]) -> RemotePost:
    """One ``recent_media`` item as a RemotePost; raises on a malformed item."""
    media_id = str(media["id"])
    caption = str(media.get("caption") or "")
    return RemotePost(
        source="instagram",
        id_at_source=media_id,
        uri=f"instagram:media:{media_id}",
        permalink=media.get("permalink") or None,
        author=None,
        posted_at=parse_time(media["timestamp"]),
        caption=caption,
        tags=caption_tags(caption),
        images=_images(media),
    )


def _next_after(paging: Any) -> str | None:
    # {"cursors": {"after": "…"}, "next": "https://…"}; the last page has no "next".
    if not isinstance(paging, dict) or not paging.get("next"):
        return None
    after = (paging.get("cursors") or {}).get("after")
    return after if isinstance(after, str) else None


class InstagramSource:
    required: ClassVar[tuple[str, ...]] = ("token", "user_id")

    def __init__(self, config: SourceConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self.client = client
        self.base = config.base_url.rstrip("/")
        self.hashtag_ids: dict[str, str] = {}

    async def get(self, path: str, params: dict[str, Any]) -> Any:
        query = {"user_id": self.config.user_id, **params, "access_token": self.config.token}
        response = await send(self.client, self.config.name, "GET", self.base + path, params=query)
        if response.status_code != 200:
            raise graph_error(response, self.config.name)
        answer = read_json(response, self.config.name)
        if not isinstance(answer, dict) or "error" in answer:
            raise graph_error(response, self.config.name)
        return answer

    async def hashtag_id(self, form: str) -> str | None:
        if form not in self.hashtag_ids:
            answer = await self.get("/ig_hashtag_search", {"q": form})
            found = [item.get("id") for item in answer.get("data") or () if isinstance(item, dict)]
            if not found or not found[0]:
                return None  # Instagram knows no such hashtag (yet)
            self.hashtag_ids[form] = str(found[0])
        return self.hashtag_ids[form]

    async def fetch(self, cursor: str | None) -> Page:
        state = cursors.decode(cursor)
        posts: dict[str, RemotePost] = {}
        skipped = 0
        new_state: dict[str, Any] = {}
        for form in query_forms(self.config.hashtags):
            raw = state.get(form)
            entry: dict[str, Any] = raw if isinstance(raw, dict) else {}
            if isinstance(entry.get("id"), str):
                self.hashtag_ids.setdefault(form, entry["id"])
            hashtag_id = await self.hashtag_id(form)
            if hashtag_id is None:
                continue
            walk = cursors.Walk.load(entry)
            params: dict[str, Any] = {"fields": FIELDS, "limit": PAGE_SIZE}
            if walk.page:
                params["after"] = walk.page
            answer = await self.get(f"/{hashtag_id}/recent_media", params)
            items = answer.get("data")
            if not isinstance(items, list):
                raise RetryableSourceError(self.config.name, "unexpected recent_media answer")
            keys = []
            for media in items:
                try:
                    post = media_to_post(media)
                except (KeyError, TypeError, ValueError, AttributeError):
                    skipped += 1
                    continue
                keys.append(cursors.time_key(post.posted_at))
                posts.setdefault(post.uri, post)
            after = _next_after(answer.get("paging"))
            walk = walk.advance(keys, after if items else None)
            new_state[form] = {"id": hashtag_id, **walk.dump()}
        return Page(tuple(posts.values()), cursors.encode(new_state), skipped=skipped)

    def start_cursor(self) -> str | None:
        """Each spelling pages back through ``recent_media`` (24 hours at most) to the start."""
        return cursors.walks_since(query_forms(self.config.hashtags), self.config.since)

    async def exists(self, post: RemotePost) -> bool | None:
        """Always ``None``: the Graph API does not show other accounts' media by id."""
        return None
