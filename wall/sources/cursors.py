"""Adapter cursors: a small JSON object per source, one entry per queried tag spelling.

The poller stores the string verbatim. A cursor that does not decode (another
version, a hand edit) is treated as no cursor: the next fetch is a head read,
which is always safe because the poller deduplicates on ``RemotePost.uri``.

``Walk`` is the state for networks that answer newest first and can only page
towards older posts (Bluesky, Instagram, Flickr, Pixelfed). A fetch reads the
head; when the whole page is newer than what was already read, the next fetch
pages further back (``page``) until it meets ``since``, and only then moves
``since`` up to ``top``, the newest key of that catch-up. Nothing is skipped
when more posts arrive between two polls than fit on one page.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

VERSION = 1


def time_key(when: dt.datetime) -> str:
    """A fixed-width UTC timestamp, so keys compare as strings in time order."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def decode(cursor: str | None) -> dict[str, Any]:
    """The per-spelling state held in ``cursor`` (empty for ``None`` or an unreadable cursor)."""
    if not cursor:
        return {}
    try:
        value = json.loads(cursor)
    except ValueError:
        return {}
    if not isinstance(value, dict) or value.get("v") != VERSION:
        return {}
    tags = value.get("tags")
    return tags if isinstance(tags, dict) else {}


def encode(tags: Mapping[str, Any]) -> str | None:
    if not tags:
        return None
    return json.dumps({"v": VERSION, "tags": dict(tags)}, ensure_ascii=False, sort_keys=True)


def walks_since(keys: Iterable[str], since: dt.datetime | None) -> str | None:
    """A cursor whose walks (one per key) page back to ``since`` on their first fetch."""
    if since is None:
        return None
    return encode({key: Walk(since=time_key(since)).dump() for key in keys})


@dataclass(frozen=True)
class Walk:
    since: str | None = None  # newest key fully read
    top: str | None = None  # newest key seen during a catch-up in progress
    page: str | None = None  # the network's cursor to continue the catch-up

    @classmethod
    def load(cls, raw: Any) -> Walk:
        if not isinstance(raw, dict):
            return cls()
        fields = (raw.get("since"), raw.get("top"), raw.get("page"))
        return cls(*(value if isinstance(value, str) else None for value in fields))

    def dump(self) -> dict[str, str]:
        state = {"since": self.since, "top": self.top, "page": self.page}
        return {key: value for key, value in state.items() if value is not None}

    def advance(
        self, keys: Iterable[str], next_page: str | None, *, order: Callable[[str], Any] = str
    ) -> Walk:
        """The state after reading a page holding ``keys`` (timestamps or ids)."""
        keys = sorted(keys, key=order)
        top = max((key for key in (self.top, *keys[-1:]) if key), key=order, default=None)
        caught_up = (
            self.since is None
            or next_page is None
            or not keys
            or order(keys[0]) <= order(self.since)
        )
        if not caught_up:
            return Walk(self.since, top, next_page)
        since = max((key for key in (self.since, top) if key), key=order, default=None)
        return Walk(since, None, None)
