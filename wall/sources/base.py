"""The interface every source adapter implements, and what it returns.

An adapter is built from ``(config, client)`` and only translates: it turns
one network's answers into ``RemotePost`` values and its failures into the two
``SourceError`` kinds. Scheduling, retries, deduplication (on
``RemotePost.uri``), hashtag checks, downloads and storage belong to the
poller. The ``httpx.AsyncClient`` is created by the caller with the wall's
``User-Agent`` (see ``create_client``); adapters never override it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import httpx

from wall import __version__

USER_AGENT = (
    f"VagueVerte/{__version__} (+https://github.com/vague-verte/wall; "
    "social wall for #perseVERT2024)"
)


def create_client(*, timeout: float = 20.0, **kwargs: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with the wall's polite ``User-Agent`` and a finite timeout."""
    headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
    return httpx.AsyncClient(headers=headers, timeout=timeout, **kwargs)


@dataclass(frozen=True)
class SourceConfig:
    """One ``[[sources]]`` table of ``wall.toml``, credentials resolved."""

    name: str
    type: str
    base_url: str
    interval: float = 60.0
    hashtags: tuple[str, ...] = ("perséVERT2024",)
    token: str | None = None
    api_key: str | None = None
    identifier: str | None = None  # Bluesky handle or DID
    app_password: str | None = None  # Bluesky app password
    user_id: str | None = None  # Instagram professional account id
    # The campaign's start: a new source backfills from it, older posts are not collected.
    since: dt.datetime | None = None
    # Requests per minute spent asking whether approved posts still exist
    # (None: the network's default, ``wall.sources.deletions.recheck_rate``).
    recheck_per_minute: float | None = None
    # Bluesky's Jetstream server (ws:// or wss://): None for the default
    # (``wall.sources.jetstream.stream_base``), "" for no stream at all.
    stream_url: str | None = None

    def __repr__(self) -> str:
        # Never print secrets in logs or tracebacks.
        return f"SourceConfig(name={self.name!r}, type={self.type!r}, base_url={self.base_url!r})"

    def without_secrets(self, text: str) -> str:
        """``text`` (an error's message) with every credential's value cut out."""
        for secret in (self.token, self.api_key, self.app_password):
            if secret:
                text = text.replace(secret, "…")
        return text


@dataclass(frozen=True)
class RemoteImage:
    url: str
    alt: str | None = None
    width: int | None = None
    height: int | None = None
    preview_url: str | None = None


@dataclass(frozen=True)
class RemoteAuthor:
    name: str | None
    handle: str | None
    url: str | None


@dataclass(frozen=True)
class RemotePost:
    source: str  # the network type, e.g. "mastodon"
    id_at_source: str  # the id on the instance that answered; for exists()
    uri: str  # global deduplication key, the same on every instance
    permalink: str | None
    author: RemoteAuthor | None
    posted_at: dt.datetime  # aware, UTC
    caption: str  # plain text, never HTML
    language: str | None = None
    sensitive: bool = False
    sensitive_reasons: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # raw, as the post carries them; compare with normalize()
    images: tuple[RemoteImage, ...] = ()  # may be empty (video, text only)
    is_reply: bool = False
    edited_at: dt.datetime | None = None
    deleted: bool = False  # no polling adapter sets it: deletions come from exists()


@dataclass(frozen=True)
class Page:
    posts: tuple[RemotePost, ...]
    next_cursor: str | None  # store verbatim and pass to the next fetch()
    skipped: int = 0  # malformed items left out
    withheld: int = 0  # well-formed posts whose author does not want a public display
    # "restricted": the network answered, but hides posts it has (a restricted tag feed).
    warning: str | None = None


@dataclass(frozen=True)
class StreamEvent:
    """One event pushed by a network: a new post, or the id of a deleted one."""

    post: RemotePost | None = None  # a new or edited post ("update")
    deleted_id: str | None = None  # ``id_at_source`` of a post deleted there ("delete")


class SourceError(Exception):
    """A fetch failed; ``str(error)`` is one line naming the source."""

    def __init__(self, source: str, message: str) -> None:
        self.source = source
        super().__init__(f"{source}: {message}")


class RetryableSourceError(SourceError):
    """Worth retrying: network error, timeout, 5xx, throttling, unreadable answer."""

    def __init__(self, source: str, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(source, message)
        self.retry_after = retry_after  # seconds the network asked us to wait, if it said


class PermanentSourceError(SourceError):
    """Not worth retrying until someone changes the configuration."""


class Source(Protocol):
    """A network adapter, built as ``Adapter(config, client)``."""

    required: ClassVar[tuple[str, ...]]  # SourceConfig fields this network needs

    def __init__(self, config: SourceConfig, client: httpx.AsyncClient) -> None: ...

    async def fetch(self, cursor: str | None) -> Page:
        """Posts after ``cursor``; ``None`` reads the newest page (a head re-read).

        After a head re-read, keep the stored cursor if there is one: the
        returned cursor points at the head and would skip a catch-up in progress.
        """
        ...

    async def exists(self, post: RemotePost) -> bool | None:
        """Whether ``post`` is still public; ``None`` when this network cannot tell."""
        ...

    def start_cursor(self) -> str | None:
        """Where a new source begins: at ``config.since`` (the campaign's start)
        where the network can walk from a moment, else ``None`` (the newest page)."""
        ...


@runtime_checkable
class StreamingSource(Source, Protocol):
    """An adapter for a network that also pushes posts and deletions as they happen.

    The poller reads each of ``stream_keys()`` through ``stream(key)`` beside
    its polling, which stays the fallback: a stream that fails is opened again
    later, and one the network refuses (``PermanentSourceError``) is left.
    """

    def stream_keys(self) -> list[str]: ...

    def stream(self, key: str) -> AsyncIterator[StreamEvent]:
        """Events until the connection ends; raises a ``SourceError`` when it fails."""
        ...
