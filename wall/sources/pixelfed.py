"""Pixelfed hashtag timelines: Mastodon-shaped, with a few differences.

A user token (scope ``read``) is required; anonymous calls get ``403`` or a
login redirect. Pixelfed keeps accents in tags, so both spellings of every
campaign hashtag are queried (``query_forms``). There is no ``Link`` header,
and ``min_id`` behaves like Mastodon's ``since_id`` (the *newest* posts after
it), so the cursor is a ``cursors.Walk`` per spelling over status ids: the
head read uses ``min_id``; when a whole page is new it pages back with
``max_id`` until it meets the last id read. Pixelfed ids are numeric strings
of one instance; they are compared as numbers (length, then digits) and only
ever against ids from the same instance and spelling. Cursors older than
about six months return ``[]`` (then the head is read again).
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import httpx

from wall.hashtags import query_forms
from wall.sources import cursors
from wall.sources.base import Page, PermanentSourceError, RemotePost, SourceConfig
from wall.sources.http import error_for_status, read_json, send
from wall.sources.mastodon import statuses_to_posts

PAGE_SIZE = 40


def id_order(status_id: str) -> tuple[int, str]:
    return (len(status_id), status_id)


class PixelfedSource:
    required: ClassVar[tuple[str, ...]] = ("token",)
    kind = "pixelfed"

    def __init__(self, config: SourceConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self.client = client
        self.base = config.base_url.rstrip("/")
        self.host = urlsplit(self.base).hostname or self.base

    async def get(self, path: str, params: dict[str, Any]) -> httpx.Response:
        response = await send(
            self.client,
            self.config.name,
            "GET",
            self.base + path,
            params=params,
            headers={"Authorization": f"Bearer {self.config.token}"},
        )
        if response.status_code in (401, 403) or response.is_redirect:
            raise PermanentSourceError(
                self.config.name,
                f"HTTP {response.status_code} from {path}: the token is missing, "
                "expired or lacks the read scope",
            )
        return response

    async def fetch(self, cursor: str | None) -> Page:
        state = cursors.decode(cursor)
        posts: dict[str, RemotePost] = {}
        skipped = 0
        new_state: dict[str, Any] = {}
        for form in query_forms(self.config.hashtags):
            walk = cursors.Walk.load(state.get(form))
            params: dict[str, Any] = {"limit": PAGE_SIZE}
            if walk.page:
                params["max_id"] = walk.page
            elif walk.since:
                params["min_id"] = walk.since
            path = f"/api/v1/timelines/tag/{quote(form, safe='')}"
            response = await self.get(path, params)
            if response.status_code != 200:
                raise error_for_status(response, self.config.name)
            answer = read_json(response, self.config.name)
            found, bad = statuses_to_posts(answer, self.config.name, self.kind, self.host, path)
            skipped += bad
            for post in found:
                posts.setdefault(post.uri, post)
            ids = [str(item["id"]) for item in answer if isinstance(item, dict) and "id" in item]
            oldest = min(ids, key=id_order) if ids else None
            next_page = oldest if len(answer) >= PAGE_SIZE else None
            walk = walk.advance(ids, next_page, order=id_order)
            if walk.dump():
                new_state[form] = walk.dump()
        return Page(tuple(posts.values()), cursors.encode(new_state), skipped=skipped)

    def start_cursor(self) -> str | None:
        """Pixelfed ids carry no time: a new source starts at the newest page."""
        return None

    async def exists(self, post: RemotePost) -> bool | None:
        """Re-read the status on this instance: ``404`` means deleted."""
        response = await self.get(f"/api/v1/statuses/{quote(post.id_at_source, safe='')}", {})
        if response.status_code == 200:
            return True
        if response.status_code in (404, 410):
            return False
        if response.status_code == 429 or response.status_code >= 500:
            raise error_for_status(response, self.config.name)
        return None
