"""Bluesky's Jetstream: the network's posts and deletions as they happen, over a WebSocket.

Jetstream (github.com/bluesky-social/jetstream) turns the AT Protocol
firehose into JSON. The wall subscribes to posts only
(``/subscribe?wantedCollections=app.bsky.feed.post``); each text message is
one event::

    {"did": "did:plc:…", "time_us": 1725911162329308, "kind": "commit",
     "commit": {"rev": "…", "operation": "create", "collection": "app.bsky.feed.post",
                "rkey": "3l3qo2vuowo2b", "record": {…}, "cid": "bafyrei…"}}

``operation`` is ``create``, ``update`` or ``delete`` (a delete carries no
record); ``kind`` may also be ``identity`` or ``account``, which only move
the cursor. ``time_us`` (Unix microseconds) is the cursor: a connection
opened with ``cursor=<time_us>`` replays from that moment, so a reopened
connection starts ``REWIND_US`` before the last event read (creates and
deletes are idempotent on the wall). The server is asked to leave out
messages over ``SERVER_MAX_MESSAGE_BYTES`` (``maxMessageSizeBytes``); a
message over ``MAX_MESSAGE_BYTES`` still closes the connection, and the next
one starts live rather than replay it (polling fills that gap).

There is no tag filter: every post of the network arrives, and the caller
keeps those it wants. This module connects, reads and parses; what a post
means for the wall is ``wall.sources.bluesky``'s business.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from websockets.asyncio.client import connect
from websockets.exceptions import (
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidStatus,
    InvalidURI,
    WebSocketException,
)
from websockets.frames import CloseCode

from wall.sources.base import (
    USER_AGENT,
    PermanentSourceError,
    RetryableSourceError,
    SourceConfig,
)

log = logging.getLogger(__name__)

PUBLIC_PDS = "https://bsky.social"
PUBLIC_JETSTREAM = "wss://jetstream2.us-east.bsky.network"
POST_COLLECTION = "app.bsky.feed.post"
REWIND_US = 5_000_000  # a reopened connection replays the last five seconds
SERVER_MAX_MESSAGE_BYTES = 64 * 1024  # asked of the server; a post is a few kB
MAX_MESSAGE_BYTES = 1024 * 1024  # what the client reads at most
OPEN_SECONDS = 10.0
OPERATIONS = frozenset({"create", "update", "delete"})
_DID = re.compile(r"did:[a-z]+:[A-Za-z0-9._:%-]{1,2000}")
_RECORD_KEY = re.compile(r"[A-Za-z0-9._:~-]{1,512}")


def stream_base(config: SourceConfig) -> str | None:
    """The Jetstream server a Bluesky source follows, or None to poll only.

    ``stream_url`` wins when set (``""`` turns streaming off); otherwise only a
    source on the public ``https://bsky.social`` follows the public Jetstream,
    so a self-hosted PDS (or a test) never reaches the internet by default.
    """
    if config.stream_url is not None:
        return config.stream_url.rstrip("/") or None
    if config.base_url.rstrip("/") == PUBLIC_PDS:
        return PUBLIC_JETSTREAM
    return None


def subscribe_url(base: str, cursor: int | None) -> str:
    """The ``/subscribe`` URL of the server ``base`` for posts, from ``cursor`` if given."""
    path = base if base.endswith("/subscribe") else f"{base}/subscribe"
    params = {
        "wantedCollections": POST_COLLECTION,
        "maxMessageSizeBytes": str(SERVER_MAX_MESSAGE_BYTES),
    }
    if cursor is not None:
        params["cursor"] = str(cursor)
    return f"{path}?{urlencode(params)}"


class MalformedMessage(ValueError):
    """A message that is not a Jetstream event the wall can read."""


@dataclass(frozen=True)
class PostCommit:
    """A ``create``, ``update`` or ``delete`` of one ``app.bsky.feed.post`` record."""

    did: str
    operation: str
    rkey: str
    record: dict[str, Any] | None  # None for a delete

    @property
    def uri(self) -> str:
        """The post's ``at://`` URI: the id a polled Bluesky post is stored under."""
        return f"at://{self.did}/{POST_COLLECTION}/{self.rkey}"


@dataclass(frozen=True)
class Message:
    time_us: int
    post: PostCommit | None = None  # None for any other event (identity, account, …)


def parse(raw: str | bytes) -> Message:
    """One Jetstream message; raises ``MalformedMessage``."""
    try:
        event = json.loads(raw)
    except ValueError as exc:
        raise MalformedMessage(f"not JSON ({exc})") from None
    if not isinstance(event, dict):
        raise MalformedMessage("not a JSON object")
    time_us = event.get("time_us")
    if isinstance(time_us, bool) or not isinstance(time_us, int) or time_us <= 0:
        raise MalformedMessage(f"time_us {time_us!r}")
    commit = event.get("commit")
    if event.get("kind") != "commit" or not isinstance(commit, dict):
        return Message(time_us)
    if commit.get("collection") != POST_COLLECTION:
        return Message(time_us)
    did, operation, rkey = event.get("did"), commit.get("operation"), commit.get("rkey")
    if not isinstance(did, str) or not _DID.fullmatch(did):
        raise MalformedMessage(f"did {did!r}")
    if operation not in OPERATIONS:
        raise MalformedMessage(f"operation {operation!r}")
    if not isinstance(rkey, str) or not _RECORD_KEY.fullmatch(rkey) or rkey in (".", ".."):
        raise MalformedMessage(f"rkey {rkey!r}")
    record = commit.get("record")
    if operation == "delete":
        record = None
    elif not isinstance(record, dict):
        raise MalformedMessage(f"a {operation} without a record")
    return Message(time_us, PostCommit(did, str(operation), rkey, record))


class Subscription:
    """One source's posts from one Jetstream server; remembers the cursor between connections.

    The cursor (the newest ``time_us`` read) moves only once the caller asks
    for the next message, so an event being handled when the connection
    breaks is read again.
    """

    def __init__(self, base: str, source: str) -> None:
        self.base = base
        self.source = source  # the source's name, for errors and logs
        self.last_time_us: int | None = None

    def url(self) -> str:
        cursor = None if self.last_time_us is None else max(1, self.last_time_us - REWIND_US)
        return subscribe_url(self.base, cursor)

    async def messages(self) -> AsyncIterator[Message]:
        """The messages of one connection until it ends; raises a ``SourceError`` when it fails.

        A malformed message is logged and skipped. A refusal (``4xx``) is
        permanent, unless the connection asked for a cursor: the next one starts
        live instead.
        """
        replaying = self.last_time_us is not None
        try:
            async with connect(
                self.url(),
                user_agent_header=USER_AGENT,
                open_timeout=OPEN_SECONDS,
                max_size=MAX_MESSAGE_BYTES,
            ) as websocket:
                async for raw in websocket:
                    try:
                        message = parse(raw)
                    except MalformedMessage as exc:
                        log.warning("source %s: a Jetstream message skipped: %s", self.source, exc)
                        continue
                    yield message
                    if self.last_time_us is None or message.time_us > self.last_time_us:
                        self.last_time_us = message.time_us
        except ConnectionClosedOK:
            return
        except ConnectionClosedError as exc:
            if exc.sent is not None and exc.sent.code == CloseCode.MESSAGE_TOO_BIG:
                # Replaying would meet the same message again: start live next time.
                self.last_time_us = None
                raise RetryableSourceError(
                    self.source, "a Jetstream message over 1 MiB; resuming live"
                ) from exc
            raise RetryableSourceError(self.source, f"Jetstream connection broken ({exc})") from exc
        except InvalidStatus as exc:
            status = exc.response.status_code
            refused = 400 <= status < 500 and status not in (408, 425, 429)
            if refused and replaying:
                self.last_time_us = None
                raise RetryableSourceError(
                    self.source, f"HTTP {status} from Jetstream for a cursor; resuming live"
                ) from exc
            if refused:
                raise PermanentSourceError(
                    self.source, f"HTTP {status} from Jetstream: check stream_url; polling only"
                ) from exc
            raise RetryableSourceError(self.source, f"HTTP {status} from Jetstream") from exc
        except InvalidURI as exc:
            raise PermanentSourceError(self.source, f"stream_url refused ({exc})") from exc
        except (OSError, TimeoutError, WebSocketException) as exc:
            raise RetryableSourceError(
                self.source, f"Jetstream unreachable ({type(exc).__name__}: {exc})"
            ) from exc
