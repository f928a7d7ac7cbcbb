"""Bluesky post search (``app.bsky.feed.searchPosts``) through the account's PDS.

Anonymous search is refused, so the adapter signs in with an app password
(``createSession`` on ``base_url``, e.g. ``https://bsky.social``), keeps the
session in memory and refreshes it (``refreshSession``) when the access token
expires, signing in again only if the refresh token is refused.

Bluesky does not fold accents: both spellings are searched, as ``q="#tag"``
with ``sort=latest``. The cursor is a ``cursors.Walk`` per spelling over each
post's sort time, min(``createdAt``, ``indexedAt``), as the search index
uses; the next head read asks for ``since`` = last sort time read minus
``LOOKBACK`` (posts are indexed late), and a catch-up follows the search's
own ``cursor``. Reposts never appear in search.

A post or author labelled ``!no-unauthenticated`` (or hidden by moderation)
is withheld: counted in ``Page.withheld``, never returned. Adult and graphic
labels make the post sensitive. Only the post's own images count: images of
a quoted post (``embed.record#view``) are not this post's.

Beside polling, a source follows Jetstream (``wall.sources.jetstream``) when
a server applies (``stream_base``): a deleted post leaves the wall within
seconds, and a new post that carries a campaign tag (the facets and
``record.tags`` that polling reads) and images is read through ``getPosts``,
so that it is built by the same code as a polled one. Other posts cost no
request. A post the AppView has not indexed yet is asked for again a few
times, then left to polling.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import httpx

from wall.hashtags import CampaignTags, query_forms
from wall.sources import cursors, jetstream
from wall.sources.base import (
    Page,
    PermanentSourceError,
    RemoteAuthor,
    RemoteImage,
    RemotePost,
    RetryableSourceError,
    SourceConfig,
    SourceError,
    StreamEvent,
)
from wall.sources.http import error_for_status, parse_time, read_json, send

log = logging.getLogger(__name__)

PAGE_SIZE = 100
LOOKBACK = dt.timedelta(minutes=5)
SENSITIVE_LABELS = frozenset({"porn", "sexual", "nudity", "graphic-media", "gore"})
WITHHELD_LABELS = frozenset({"!no-unauthenticated", "!hide", "!takedown"})
_SESSION_ERRORS = frozenset({"ExpiredToken", "InvalidToken"})
# Seconds to wait before asking the AppView again for a streamed post it has not indexed yet.
INDEX_WAITS = (1.0, 2.0, 4.0)
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def _reset_delay(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers["RateLimit-Reset"]) - time.time())
    except (KeyError, ValueError):
        return None


def _error_name(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


def _labels(*holders: Any) -> set[str]:
    values: set[str] = set()
    for holder in holders:
        labels = holder.get("labels") if isinstance(holder, dict) else None
        for label in labels or ():
            if (
                isinstance(label, dict)
                and isinstance(label.get("val"), str)
                and not label.get("neg")
            ):
                values.add(label["val"])
    return values


def _self_labels(record: dict[str, Any]) -> set[str]:
    labels = record.get("labels")
    values = labels.get("values") if isinstance(labels, dict) else None
    return {item["val"] for item in values or () if isinstance(item, dict) and "val" in item}


def _images(embed: Any) -> tuple[RemoteImage, ...]:
    if not isinstance(embed, dict):
        return ()
    kind = embed.get("$type")
    if kind == "app.bsky.embed.recordWithMedia#view":
        return _images(embed.get("media"))
    if kind == "app.bsky.embed.images#view":
        items, preview_key = embed.get("images") or [], "thumb"
    elif kind == "app.bsky.embed.gallery#view":
        items, preview_key = embed.get("items") or [], "thumbnail"
    else:
        return ()  # video, external link card, quote (embed.record#view)
    images = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("fullsize"), str):
            continue
        ratio = item.get("aspectRatio")
        width, height = (
            (ratio.get("width"), ratio.get("height")) if isinstance(ratio, dict) else (0, 0)
        )
        images.append(
            RemoteImage(
                url=item["fullsize"],
                alt=item.get("alt") or None,
                # aspectRatio is a ratio, often the true pixel size; kept only as a hint.
                width=width if isinstance(width, int) and width > 0 else None,
                height=height if isinstance(height, int) and height > 0 else None,
                preview_url=item.get(preview_key) or None,
            )
        )
    return tuple(images)


def is_withheld(view: dict[str, Any]) -> bool:
    """Whether the post or its author asked not to be shown publicly (or was hidden)."""
    return bool(_labels(view, view["author"]) & WITHHELD_LABELS)


def record_images(embed: Any) -> bool:
    """Whether a post record's own ``embed`` (blob refs, not a view) holds images."""
    if not isinstance(embed, dict):
        return False
    kind = embed.get("$type")
    if kind == "app.bsky.embed.recordWithMedia":
        return record_images(embed.get("media"))
    if kind in ("app.bsky.embed.images", "app.bsky.embed.gallery"):
        return any(isinstance(embed.get(key), list) and embed[key] for key in ("images", "items"))
    return False


def record_tags(record: dict[str, Any]) -> tuple[str, ...]:
    """A post record's tags as typed: its tag facets, then ``record.tags``."""
    tags: list[str] = []
    for facet in record.get("facets") or ():
        for feature in facet.get("features") or ():
            if feature.get("$type") == "app.bsky.richtext.facet#tag" and feature.get("tag"):
                tags.append(str(feature["tag"]))
    tags.extend(str(tag) for tag in record.get("tags") or ())
    return tuple(dict.fromkeys(tags))


def view_to_post(view: dict[str, Any]) -> RemotePost:
    """One postView as a RemotePost; raises on a malformed view."""
    uri, author, record = view["uri"], view["author"], view["record"]
    handle = author.get("handle")
    who = handle if handle and handle != "handle.invalid" else author["did"]
    labels = _labels(view, author) | _self_labels(record)
    reasons = tuple(f"label:{value}" for value in sorted(labels & SENSITIVE_LABELS))
    langs = record.get("langs") or [None]
    return RemotePost(
        source="bluesky",
        id_at_source=uri,
        uri=uri,
        permalink=f"https://bsky.app/profile/{who}/post/{uri.rsplit('/', 1)[1]}",
        author=RemoteAuthor(
            name=author.get("displayName") or who,
            handle=f"@{who}",
            url=f"https://bsky.app/profile/{who}",
        ),
        posted_at=parse_time(record["createdAt"]),
        caption=str(record.get("text") or ""),
        language=langs[0] or None,
        sensitive=bool(reasons),
        sensitive_reasons=reasons,
        tags=record_tags(record),
        images=_images(view.get("embed")),
        is_reply=isinstance(record.get("reply"), dict),
    )


def _sort_time(view: dict[str, Any], post: RemotePost) -> dt.datetime:
    try:
        return min(post.posted_at, parse_time(view["indexedAt"]))
    except (KeyError, ValueError):
        return post.posted_at


class BlueskySource:
    required: ClassVar[tuple[str, ...]] = ("identifier", "app_password")

    def __init__(self, config: SourceConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self.client = client
        self.base = config.base_url.rstrip("/")
        self.access_jwt: str | None = None
        self.refresh_jwt: str | None = None
        self.session_lock = asyncio.Lock()
        self.campaign = CampaignTags(config.hashtags)
        base = jetstream.stream_base(config)
        self.subscription = jetstream.Subscription(base, config.name) if base else None
        self.index_waits = INDEX_WAITS

    async def post_xrpc(self, method: str, **kwargs: Any) -> httpx.Response:
        url = f"{self.base}/xrpc/{method}"
        return await send(self.client, self.config.name, "POST", url, **kwargs)

    def keep_session(self, response: httpx.Response) -> None:
        body = read_json(response, self.config.name)
        try:
            self.access_jwt, self.refresh_jwt = str(body["accessJwt"]), str(body["refreshJwt"])
        except (KeyError, TypeError):
            raise RetryableSourceError(self.config.name, "unexpected session answer") from None

    async def sign_in(self) -> None:
        credentials = {"identifier": self.config.identifier, "password": self.config.app_password}
        response = await self.post_xrpc("com.atproto.server.createSession", json=credentials)
        if response.status_code in (400, 401):
            raise PermanentSourceError(
                self.config.name,
                f"sign-in refused ({_error_name(response) or response.status_code}): "
                "check identifier and app_password (an app password, not the account password)",
            )
        if response.status_code != 200:
            raise error_for_status(response, self.config.name, retry_after=_reset_delay(response))
        self.keep_session(response)

    async def renew(self, stale: str | None) -> None:
        async with self.session_lock:
            if self.access_jwt is not None and self.access_jwt != stale:
                return  # another call renewed it meanwhile
            if self.refresh_jwt and stale is not None:
                response = await self.post_xrpc(
                    "com.atproto.server.refreshSession",
                    headers={"Authorization": f"Bearer {self.refresh_jwt}"},
                )
                if response.status_code == 200:
                    self.keep_session(response)
                    return
                if response.status_code not in (400, 401):
                    raise error_for_status(
                        response, self.config.name, retry_after=_reset_delay(response)
                    )
            await self.sign_in()

    async def get_xrpc(self, method: str, params: dict[str, Any]) -> httpx.Response:
        if self.access_jwt is None:
            await self.renew(None)
        for attempt in (1, 2):
            token = self.access_jwt
            response = await send(
                self.client,
                self.config.name,
                "GET",
                f"{self.base}/xrpc/{method}",
                params=params,
                headers={"Authorization": f"Bearer {token}"},
            )
            expired = response.status_code == 401 or (
                response.status_code == 400 and _error_name(response) in _SESSION_ERRORS
            )
            if not expired or attempt == 2:
                break
            await self.renew(token)
        if response.status_code != 200:
            hint = _error_name(response) or ""
            raise error_for_status(
                response, self.config.name, retry_after=_reset_delay(response), hint=hint
            )
        return response

    async def fetch(self, cursor: str | None) -> Page:
        state = cursors.decode(cursor)
        posts: dict[str, RemotePost] = {}
        skipped = withheld = 0
        new_state: dict[str, Any] = {}
        for form in query_forms(self.config.hashtags):
            walk = cursors.Walk.load(state.get(form))
            params: dict[str, Any] = {"q": f"#{form}", "sort": "latest", "limit": PAGE_SIZE}
            if walk.since:
                params["since"] = cursors.time_key(parse_time(walk.since) - LOOKBACK)
            if walk.page:
                params["cursor"] = walk.page
            response = await self.get_xrpc("app.bsky.feed.searchPosts", params)
            answer = read_json(response, self.config.name)
            views = answer.get("posts") if isinstance(answer, dict) else None
            if not isinstance(views, list):
                raise RetryableSourceError(self.config.name, "unexpected search answer")
            keys = []
            for view in views:
                try:
                    post = view_to_post(view)
                except _MALFORMED:
                    skipped += 1
                    continue
                keys.append(cursors.time_key(_sort_time(view, post)))
                if is_withheld(view):
                    withheld += 1
                else:
                    posts.setdefault(post.uri, post)
            next_page = answer.get("cursor") if views else None
            walk = walk.advance(keys, next_page if isinstance(next_page, str) else None)
            if walk.dump():
                new_state[form] = walk.dump()
        return Page(tuple(posts.values()), cursors.encode(new_state), skipped, withheld)

    def start_cursor(self) -> str | None:
        """Each spelling's walk pages back to the campaign's start on its first fetches."""
        return cursors.walks_since(query_forms(self.config.hashtags), self.config.since)

    async def post_views(self, uri: str) -> list[Any] | None:
        """``getPosts`` for one post: the views answered (none: deleted or unknown), or
        None for an answer without a list of posts."""
        response = await self.get_xrpc("app.bsky.feed.getPosts", {"uris": uri})
        answer = read_json(response, self.config.name)
        views = answer.get("posts") if isinstance(answer, dict) else None
        return views if isinstance(views, list) else None

    async def exists(self, post: RemotePost) -> bool | None:
        """Ask the AppView for the post: absent means deleted, taken down or now private."""
        views = await self.post_views(post.uri)
        if views is None:
            return None
        return any(isinstance(view, dict) and view.get("uri") == post.uri for view in views)

    # -- Jetstream ---------------------------------------------------------------

    def stream_keys(self) -> list[str]:
        return ["jetstream"] if self.subscription is not None else []

    async def stream(self, key: str) -> AsyncIterator[StreamEvent]:
        """Deleted posts, and new posts with a campaign tag and images, from Jetstream."""
        if self.subscription is None:
            return
        async for message in self.subscription.messages():
            commit = message.post
            if commit is None:
                continue
            if commit.operation == "delete":
                yield StreamEvent(deleted_id=commit.uri)
            elif self.worth_reading(commit):
                post = await self.hydrate(commit.uri)
                if post is not None:
                    yield StreamEvent(post=post)

    def worth_reading(self, commit: jetstream.PostCommit) -> bool:
        """Whether a streamed post carries a campaign tag and images (no request)."""
        record = commit.record or {}
        try:
            tags = record_tags(record)
        except _MALFORMED:
            log.warning(
                "source %s: streamed post %s has unreadable tags", self.config.name, commit.uri
            )
            return False
        return self.campaign.matches(tags) and record_images(record.get("embed"))

    async def indexed_view(self, uri: str) -> dict[str, Any] | None:
        """The view of ``uri``, asked for again after each of ``index_waits`` while the
        AppView does not know it; None when it never did, or the AppView fails."""
        for wait in (*self.index_waits, None):
            try:
                views = await self.post_views(uri)
            except SourceError as exc:
                log.warning("source %s: %s; %s left to polling", self.config.name, exc, uri)
                return None
            for view in views or ():
                if isinstance(view, dict) and view.get("uri") == uri:
                    return view
            if wait is None:
                break
            await asyncio.sleep(wait)
        log.info("source %s: %s not indexed yet; left to polling", self.config.name, uri)
        return None

    async def hydrate(self, uri: str) -> RemotePost | None:
        """The post at ``uri`` read through ``getPosts`` and built as polling builds it;
        None when it is withheld, malformed, or still unknown after ``index_waits``
        (polling finds it later). A failing AppView also leaves the post to polling."""
        view = await self.indexed_view(uri)
        if view is None:
            return None
        try:
            post = view_to_post(view)
            hidden = is_withheld(view)
        except _MALFORMED:
            log.warning("source %s: unreadable view of %s", self.config.name, uri)
            return None
        return None if hidden else post
