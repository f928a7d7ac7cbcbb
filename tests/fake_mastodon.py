"""A small Mastodon instance for tests and benchmarks, served by a real uvicorn on 127.0.0.1.

It answers the hashtag timeline the way Mastodon does (``min_id`` walks
forward, ``max_id`` back, newest first, ``Link`` headers),
``GET /api/v1/statuses/{id}`` (``404`` once deleted), ``/api/v2/instance``,
``/api/v1/tags/{tag}``, and serves media files as real JPEGs made with Pillow.
It can be told to fail in each way a network fails, for the timeline or for
one file. Every request is recorded, so a test can count them and read their
parameters.

``software`` makes it another server that speaks Mastodon's API, numbering
and ordering status ids the way that server does: ``gotosocial`` gives
ULIDs (26 characters of Crockford base32) and compares ids as text;
``akkoma`` and ``pleroma`` give FlakeIds (128 bits as base62) and compare
their decoded values. An id of another scheme (a snowflake computed from a
moment) then orders where that server's comparison puts it, as on the real
servers: before every ULID, and as an old serial id before every FlakeId.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from tests.live import LiveServer
from tests.media.factories import photo

TIMELINE_FAILURES = (
    "timeout",
    "closed",
    "500",
    "429",
    "401",
    "truncated",
    "shape",
    "restricted",
    "stuck",
)
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
VERSIONS = {
    "mastodon": ("4.6.4", "https://github.com/mastodon/mastodon"),
    "gotosocial": ("0.20.1+git-57cb4fe", "https://codeberg.org/superseriousbusiness/gotosocial"),
    "akkoma": ("2.7.2 (compatible; Akkoma 3.15.2)", "https://akkoma.dev/AkkomaGang/akkoma/"),
    "pleroma": ("2.7.2 (compatible; Pleroma 2.9.1)", "https://git.pleroma.social/pleroma/pleroma"),
}


def _encode(number: int, alphabet: str, width: int = 0) -> str:
    digits = ""
    while number:
        number, digit = divmod(number, len(alphabet))
        digits = alphabet[digit] + digits
    return digits.rjust(width, alphabet[0]) or alphabet[0]


def _decode(text: str, alphabet: str) -> int | None:
    number = 0
    for char in text:
        if char not in alphabet:
            return None
        number = number * len(alphabet) + alphabet.index(char)
    return number


MEDIA_FAILURES = ("500", "not_an_image", "too_large", "slow")
SLOW_SECONDS = 5.0


def jpeg(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """A real, photo-like JPEG; a different seed gives a picture that is no near-duplicate."""
    buffer = io.BytesIO()
    photo(size[0], size[1], seed=seed).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


@dataclass
class Seen:
    path: str
    params: dict[str, str]
    user_agent: str
    authorization: str = ""


@dataclass
class FakeStatus:
    id: int
    user: str
    text: str
    tags: tuple[str, ...] = ("persevert2024",)
    images: tuple[str, ...] = ()  # media file names served by this server
    sensitive: bool = False
    deleted: bool = False
    video: bool = False
    uri: str | None = None  # default: made from this server's URL


FIRST_POST = dt.datetime(2024, 2, 15, 13, 0, tzinfo=dt.UTC)


def posted_at(status_id: int) -> dt.datetime:
    """Status n was posted n seconds after the first post of the day."""
    return FIRST_POST + dt.timedelta(seconds=status_id)


@dataclass
class FakeMastodon:
    """Statuses, media files and failures; thread-safe, shared with the server thread."""

    statuses: list[FakeStatus] = field(default_factory=list)
    media: dict[str, bytes] = field(default_factory=dict)
    timeline_failure: str | None = None
    media_failures: dict[str, str] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    id_offset: int = 0  # another instance numbers the same posts differently (< 65536)
    software: str = "mastodon"  # or gotosocial, akkoma, pleroma: how ids look and compare
    stream_failure: str | None = None  # "401" or "500" for the hashtag stream
    pushed: list[tuple[str, str]] = field(default_factory=list)  # (event, data) streamed
    media_base: str | None = None  # where media URLs point (default: this server)
    url: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: LiveServer | None = None

    # -- test side -------------------------------------------------------------

    def wire_id(self, status_id: int) -> int:
        """The id this instance gives a status: a Mastodon snowflake of its time
        (milliseconds << 16), the instance's own sequence in the low bits."""
        return (int(posted_at(status_id).timestamp() * 1000) << 16) + self.id_offset

    def wire(self, status_id: int) -> str:
        """The id on the wire in this server's scheme (``software``)."""
        millis = int(posted_at(status_id).timestamp() * 1000)
        if self.software == "gotosocial":
            # A ULID: 48 bits of time, then 80 "random" bits (here the sequence).
            return _encode(millis, CROCKFORD, 10) + _encode(
                status_id * 7919 + self.id_offset, CROCKFORD, 16
            )
        if self.software in ("akkoma", "pleroma"):
            # A FlakeId: 64 bits of time, 48 of worker id, 16 of sequence, in base62.
            return _encode((millis << 64) | (0xBEEF << 16) | self.id_offset, BASE62)
        return str(self.wire_id(status_id))

    def order(self, wire: str) -> tuple[int, int | str]:
        """How this server compares two ids; an id it cannot read sorts first."""
        if self.software == "gotosocial":
            return (1, wire)
        if self.software in ("akkoma", "pleroma"):
            if wire.isdigit():  # read as an old serial id: before every FlakeId
                return (0, int(wire))
            number = _decode(wire, BASE62)
        else:
            number = int(wire) if wire.isdigit() else None
        return (0, 0) if number is None else (1, number)

    def local_id(self, wire_id: int) -> int:
        moment = dt.datetime.fromtimestamp((wire_id >> 16) / 1000, dt.UTC)
        return round((moment - FIRST_POST).total_seconds())

    def start(self) -> FakeMastodon:
        self._server = LiveServer(self.app())
        self._server.start()
        self.url = self._server.url
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    def add(self, status: FakeStatus, *, seeds: tuple[int, ...] = ()) -> FakeStatus:
        """Add a status; ``seeds`` make one JPEG each, named after the status."""
        with self._lock:
            names = [f"{status.id}-{index}.jpg" for index in range(len(seeds))]
            for name, seed in zip(names, seeds, strict=True):
                self.media[name] = jpeg(seed)
            status.images = (*status.images, *names)
            self.statuses.append(status)
        return status

    def push_update(self, status: FakeStatus, *, seeds: tuple[int, ...] = ()) -> FakeStatus:
        """Add a status and push it on the hashtag stream, as Mastodon does on a new post."""
        self.add(status, seeds=seeds)
        with self._lock:
            self.pushed.append(("update", json.dumps(self._json(status))))
        return status

    def push_delete(self, status: FakeStatus) -> None:
        """Delete a status and push its bare id on the hashtag stream."""
        with self._lock:
            status.deleted = True
            self.pushed.append(("delete", self.wire(status.id)))

    def seen(self, prefix: str = "/api/v1/timelines/tag/") -> list[Seen]:
        with self._lock:
            return [seen for seen in self.requests if seen.path.startswith(prefix)]

    def uri_of(self, status: FakeStatus) -> str:
        return status.uri or f"https://fake.example/users/{status.user}/statuses/{status.id}"

    # -- server side -----------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/v1/timelines/tag/{tag}", self._timeline),
                Route("/api/v2/instance", self._instance),
                Route("/api/v1/streaming/hashtag", self._stream),
                Route("/api/v1/tags/{tag}", self._tag),
                Route("/api/v1/statuses/{id}", self._status),
                Route("/media/{name}", self._media),
            ]
        )

    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(
                Seen(
                    request.url.path,
                    dict(request.query_params),
                    request.headers.get("user-agent", ""),
                    request.headers.get("authorization", ""),
                )
            )

    def _json(self, status: FakeStatus) -> dict[str, Any]:
        base = self.media_base or self.url
        attachments = [
            {
                "id": f"{status.id}{index}",
                "type": "video" if status.video else "image",
                "url": f"{base}/media/{name}",
                "preview_url": f"{base}/media/{name}",
                "remote_url": None,
                "meta": {"original": {"width": 640, "height": 480}},
                "description": f"Photo {index + 1} de {status.user}",
                "blurhash": None,
            }
            for index, name in enumerate(status.images)
        ]
        status_id = self.wire(status.id)
        tag_links = " ".join(
            f'<a href="https://fake.example/tags/{t}" class="mention hashtag" rel="tag">'
            f"#<span>{t}</span></a>"
            for t in status.tags
        )
        return {
            "id": status_id,
            "created_at": posted_at(status.id).isoformat().replace("+00:00", "Z"),
            "in_reply_to_id": None,
            "sensitive": status.sensitive,
            "spoiler_text": "Visages d'enfants" if status.sensitive else "",
            "visibility": "public",
            "language": "fr",
            "uri": self.uri_of(status),
            "url": f"https://fake.example/@{status.user}/{status.id}",
            "edited_at": None,
            "content": f"<p>{status.text} {tag_links}</p>",
            "reblog": None,
            "account": {
                "id": "1",
                "username": status.user,
                "acct": status.user,
                "display_name": f"{status.user.capitalize()} 🌱",
                "url": f"https://fake.example/@{status.user}",
                "bot": False,
            },
            "media_attachments": attachments,
            "tags": [{"name": t, "url": f"https://fake.example/tags/{t}"} for t in status.tags],
        }

    async def _timeline(self, request: Request) -> Response:
        self._record(request)
        failure = self.timeline_failure
        if failure == "stuck":  # a server whose min_id never returns anything
            if request.query_params.get("min_id") is not None:
                return JSONResponse([])
        elif failure is not None:
            return await self._fail(failure)
        limit = int(request.query_params.get("limit", "20"))
        min_id = request.query_params.get("min_id")
        max_id = request.query_params.get("max_id")
        with self._lock:
            visible = sorted(
                (s for s in self.statuses if not s.deleted),
                key=lambda s: self.order(self.wire(s.id)),
                reverse=True,
            )
        if max_id is not None:
            visible = [s for s in visible if self.order(self.wire(s.id)) < self.order(max_id)]
        if min_id is not None:
            after = [s for s in visible if self.order(self.wire(s.id)) > self.order(min_id)]
            page = after[-limit:]  # the page right after min_id, newest first
        else:
            page = visible[:limit]
        body = [self._json(s) for s in page]
        headers = {}
        if body:
            here = f"{self.url}{request.url.path}?limit={limit}"
            headers["Link"] = (
                f'<{here}&max_id={body[-1]["id"]}>; rel="next", '
                f'<{here}&min_id={body[0]["id"]}>; rel="prev"'
            )
        return JSONResponse(body, headers=headers)

    async def _instance(self, request: Request) -> Response:
        self._record(request)
        version, source_url = VERSIONS[self.software]
        return JSONResponse(
            {
                "domain": "fake.example",
                "title": f"Fake {self.software}",
                "version": version,
                "source_url": source_url,
                "configuration": {"urls": {"streaming": self.url.replace("http", "ws", 1)}},
            }
        )

    async def _stream(self, request: Request) -> Response:
        """The hashtag stream as Server-Sent Events: events pushed after connecting."""
        self._record(request)
        if self.stream_failure is not None:
            return JSONResponse({"error": "stream refused"}, int(self.stream_failure))
        with self._lock:
            start = len(self.pushed)

        async def events() -> AsyncIterator[bytes]:
            sent = start
            yield b":)\n\n"
            beats = 0
            while True:
                with self._lock:
                    fresh = self.pushed[sent:]
                sent += len(fresh)
                for event, data in fresh:
                    yield f"event: {event}\ndata: {data}\n\n".encode()
                beats += 1
                if beats % 20 == 0:
                    yield b":thump\n\n"
                await asyncio.sleep(0.05)

        return StreamingResponse(events(), media_type="text/event-stream")

    async def _tag(self, request: Request) -> Response:
        self._record(request)
        tag = request.path_params["tag"]
        with self._lock:
            uses = sum(1 for s in self.statuses if tag in s.tags)
        if not uses:
            return JSONResponse({"error": "Record not found"}, status_code=404)
        history = [{"day": "1707955200", "uses": str(uses), "accounts": "1"}]
        return JSONResponse(
            {"name": tag, "url": f"https://fake.example/tags/{tag}", "history": history}
        )

    async def _status(self, request: Request) -> Response:
        self._record(request)
        wanted = request.path_params["id"]
        with self._lock:
            found = [s for s in self.statuses if self.wire(s.id) == wanted and not s.deleted]
        if not found:
            return JSONResponse({"error": "Record not found"}, status_code=404)
        return JSONResponse(self._json(found[0]))

    async def _media(self, request: Request) -> Response:
        self._record(request)
        name = request.path_params["name"]
        failure = self.media_failures.get(name)
        if failure == "500":
            return Response("oops", status_code=500)
        if failure == "not_an_image":
            return Response(b"<html>pas une image</html>", media_type="image/jpeg")
        if failure == "too_large":
            return Response(b"\xff\xd8\xff" + b"\0" * (2 * 1024 * 1024), media_type="image/jpeg")
        if failure == "slow":
            await asyncio.sleep(SLOW_SECONDS)
        data = self.media.get(name)
        if data is None:
            return Response(status_code=404)
        return Response(data, media_type="image/jpeg")

    async def _fail(self, failure: str) -> Response:
        if failure == "timeout":
            await asyncio.sleep(SLOW_SECONDS)
            return JSONResponse([])
        if failure == "closed":
            return _ClosedMidway()
        if failure == "500":
            return Response("<h1>Internal Server Error</h1>", status_code=500)
        if failure == "429":
            reset = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=120)
            return JSONResponse(
                {"error": "Too many requests"},
                status_code=429,
                headers={
                    "X-RateLimit-Limit": "300",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": reset.isoformat(),
                },
            )
        if failure == "401":
            return JSONResponse({"error": "This API requires an authenticated user"}, 401)
        if failure == "truncated":
            whole = json.dumps([self._json(FakeStatus(1, "zoe", "Coupé"))])
            return Response(whole[: len(whole) // 2], media_type="application/json")
        if failure == "shape":
            return JSONResponse({"statuses": [], "next": None})
        if failure == "restricted":  # Mastodon 4.5 with hashtag feeds restricted
            return JSONResponse([])
        raise AssertionError(f"unknown failure {failure!r}")


class _ClosedMidway(Response):
    """Promises a body, sends part of it, then the connection drops."""

    def __init__(self) -> None:
        super().__init__()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"5000")],
            }
        )
        await send({"type": "http.response.body", "body": b'[{"id": "1"', "more_body": True})
        raise ConnectionResetError("the fake instance hangs up")


def write_wall_toml(path: Path, sources: list[dict[str, Any]]) -> Path:
    """Write ``wall.toml`` as a person would: one ``[[sources]]`` table per source."""
    lines: list[str] = []
    for source in sources:
        lines.append("[[sources]]")
        for key, value in source.items():
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def wall_env(database_url: str, data_dir: Path, sources_file: Path, **extra: str) -> dict[str, str]:
    """The environment of a wall configured through ``WALL_SOURCES_FILE``."""
    return {
        "WALL_DATABASE_URL": database_url,
        "WALL_DATA_DIR": str(data_dir),
        "WALL_SECRET_KEY": "test-secret-sources",
        "WALL_UPLOAD_LIMIT_PER_HOUR": "0",
        "WALL_EVENT_POLL_SECONDS": "0.2",
        "WALL_SOURCES_FILE": str(sources_file),
        **extra,
    }
