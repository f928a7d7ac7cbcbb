"""Flickr photo search (``flickr.photos.search``) with an API key.

Both spellings of every campaign hashtag go into one query
(``tags=a,b&tag_mode=any``), newest uploads first, ``safe_search=1``. The
cursor is one ``cursors.Walk`` over upload times: a head read asks for
``min_upload_date`` = last upload time read minus ``LOOKBACK`` (the search
index lags behind uploads); a catch-up walks the page numbers. New uploads
during a catch-up shift pages down, which repeats photos but never skips one.

Flickr answers errors with HTTP 200 and ``{"stat": "fail", "code", "message"}``:
code 100 (invalid API key) is permanent, every other code retryable. Numbers
often come as strings. Videos come back with no images. Budget: 3,600 calls
per hour per key, with no rate-limit headers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import httpx

from wall.hashtags import query_forms
from wall.sources import cursors
from wall.sources.base import (
    Page,
    PermanentSourceError,
    RemoteAuthor,
    RemoteImage,
    RemotePost,
    RetryableSourceError,
    SourceConfig,
)
from wall.sources.http import error_for_status, parse_time, read_json, send
from wall.sources.markup import html_to_text

PAGE_SIZE = 100
LOOKBACK = dt.timedelta(minutes=10)
EXTRAS = "description,date_upload,owner_name,url_l,url_z,media,tags,path_alias"
INVALID_KEY = 100
NOT_FOUND = (1, 2)  # photo not found; permission denied (no longer public)


def _size(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _images(photo: dict[str, Any]) -> tuple[RemoteImage, ...]:
    if photo.get("media", "photo") != "photo":
        return ()
    for suffix in ("l", "z"):
        if url := photo.get(f"url_{suffix}"):
            return (
                RemoteImage(
                    url=url,
                    width=_size(photo.get(f"width_{suffix}")),
                    height=_size(photo.get(f"height_{suffix}")),
                    preview_url=photo.get("url_z") if suffix == "l" else None,
                ),
            )
    built = f"https://live.staticflickr.com/{photo['server']}/{photo['id']}_{photo['secret']}"
    return (RemoteImage(url=f"{built}_b.jpg", preview_url=f"{built}_z.jpg"),)


def photo_to_post(photo: dict[str, Any]) -> RemotePost:
    """One search result as a RemotePost; raises on a malformed item."""
    photo_id, owner = str(photo["id"]), str(photo["owner"])
    who = photo.get("pathalias") or owner
    description = photo.get("description")
    text = description.get("_content", "") if isinstance(description, dict) else ""
    parts = [str(photo.get("title") or "").strip(), html_to_text(str(text or ""))]
    return RemotePost(
        source="flickr",
        id_at_source=photo_id,
        uri=f"https://www.flickr.com/photos/{owner}/{photo_id}/",
        permalink=f"https://www.flickr.com/photos/{who}/{photo_id}/",
        author=RemoteAuthor(
            name=photo.get("ownername") or who,
            handle=who,
            url=f"https://www.flickr.com/photos/{who}/",
        ),
        posted_at=dt.datetime.fromtimestamp(int(photo["dateupload"]), dt.UTC),
        caption="\n\n".join(part for part in parts if part),
        tags=tuple(str(photo.get("tags") or "").split()),
        images=_images(photo),
    )


class FlickrSource:
    required: ClassVar[tuple[str, ...]] = ("api_key",)

    def __init__(self, config: SourceConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self.client = client
        self.endpoint = config.base_url.rstrip("/") + "/services/rest/"

    async def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        query = {
            "method": method,
            "api_key": self.config.api_key,
            **params,
            "format": "json",
            "nojsoncallback": 1,
        }
        response = await send(self.client, self.config.name, "GET", self.endpoint, params=query)
        if response.status_code != 200:
            raise error_for_status(response, self.config.name)
        answer = read_json(response, self.config.name)
        if not isinstance(answer, dict) or answer.get("stat") not in ("ok", "fail"):
            raise RetryableSourceError(self.config.name, f"unexpected answer to {method}")
        return answer

    def failure(self, answer: dict[str, Any], method: str) -> Exception:
        message = f"{method} failed: error {answer.get('code')} {answer.get('message', '')}"
        if _size(answer.get("code")) == INVALID_KEY:
            return PermanentSourceError(self.config.name, f"{message} (check api_key)")
        return RetryableSourceError(self.config.name, message)

    async def fetch(self, cursor: str | None) -> Page:
        tags = ",".join(query_forms(self.config.hashtags))
        walk = cursors.Walk.load(cursors.decode(cursor).get(tags))
        page_number = _size(walk.page) or 1
        params: dict[str, Any] = {
            "tags": tags,
            "tag_mode": "any",
            "sort": "date-posted-desc",
            "extras": EXTRAS,
            "safe_search": 1,
            "per_page": PAGE_SIZE,
            "page": page_number,
        }
        if walk.since:
            since = parse_time(walk.since) - LOOKBACK
            params["min_upload_date"] = int(since.timestamp())
        answer = await self.call("flickr.photos.search", params)
        if answer["stat"] == "fail":
            raise self.failure(answer, "flickr.photos.search")
        found = answer.get("photos")
        photos = found.get("photo") if isinstance(found, dict) else None
        if not isinstance(found, dict) or not isinstance(photos, list):
            raise RetryableSourceError(self.config.name, "unexpected photos.search answer")
        posts: dict[str, RemotePost] = {}
        keys: list[str] = []
        skipped = 0
        for photo in photos:
            try:
                post = photo_to_post(photo)
            except (KeyError, TypeError, ValueError, AttributeError):
                skipped += 1
                continue
            keys.append(cursors.time_key(post.posted_at))
            posts.setdefault(post.uri, post)
        more = page_number < (_size(found.get("pages")) or 0) and photos
        walk = walk.advance(keys, str(page_number + 1) if more else None)
        next_cursor = cursors.encode({tags: walk.dump()} if walk.dump() else {})
        return Page(tuple(posts.values()), next_cursor, skipped=skipped)

    def start_cursor(self) -> str | None:
        """One walk for both spellings, paging back to the campaign's start."""
        tags = ",".join(query_forms(self.config.hashtags))
        return cursors.walks_since([tags], self.config.since)

    async def exists(self, post: RemotePost) -> bool | None:
        """``flickr.photos.getInfo``: "not found" or "permission denied" means gone from public."""
        answer = await self.call("flickr.photos.getInfo", {"photo_id": post.id_at_source})
        if answer["stat"] == "ok":
            return True
        if _size(answer.get("code")) in NOT_FOUND:
            return False
        raise self.failure(answer, "flickr.photos.getInfo")
