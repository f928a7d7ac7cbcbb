"""Asking a CDN to forget a removed photo's files, off the request path.

A CDN keeps a file for ``s-maxage`` seconds (``WALL_MEDIA_CACHE_SECONDS``);
a purge request takes it out at once. When ``WALL_CDN_PURGE_URL`` is set,
each file taken out of the public directory is queued here and a background
task sends one HTTP request per file, built from the templates, retrying
failures with backoff for about a minute (past that the file has expired from
the CDN anyway). The request the moderator made has long answered by then.

Templates take ``{name}`` (the file name), ``{path}`` (``/media/<name>``)
and ``{url}`` (``WALL_PUBLIC_URL`` + path).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

import httpx

from wall.config import Settings

log = logging.getLogger(__name__)

# About a minute in all: the CDN's copy has expired by then whatever happens.
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
QUEUE_SIZE = 10_000
TIMEOUT_SECONDS = 10.0
CONCURRENT_PURGES = 8


@dataclass(frozen=True)
class PurgeTemplate:
    url: str
    method: str
    body: str | None
    token: str | None
    public_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> PurgeTemplate | None:
        if not settings.cdn_purge_url:
            return None
        return cls(
            url=settings.cdn_purge_url,
            method=settings.cdn_purge_method,
            body=settings.cdn_purge_body,
            token=settings.cdn_purge_token,
            public_url=(settings.public_url or "").rstrip("/"),
        )

    def request(self, client: httpx.AsyncClient, name: str) -> httpx.Request:
        path = f"/media/{name}"
        values = {"name": name, "path": path, "url": self.public_url + path}
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        content = None
        if self.body is not None:
            content = _fill(self.body, values).encode()
            headers["Content-Type"] = "application/json"
        return client.build_request(
            self.method, _fill(self.url, values), headers=headers, content=content
        )


def _fill(template: str, values: dict[str, str]) -> str:
    """Plain replacement, so that a JSON body's own braces need no escaping."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


class PurgeQueue:
    """Sends the purge requests in the background, in order, with retries."""

    def __init__(
        self,
        template: PurgeTemplate,
        transport: httpx.AsyncBaseTransport | None = None,
        delays: tuple[float, ...] = RETRY_DELAYS,
    ) -> None:
        self.template = template
        self.delays = delays
        self.sent = 0
        self.failed = 0
        self._client = httpx.AsyncClient(transport=transport, timeout=TIMEOUT_SECONDS)
        self._queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_SIZE)
        # A file being retried must not hold up the next removal's purge.
        self._slots = asyncio.Semaphore(CONCURRENT_PURGES)
        self._sending: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="cdn-purge")

    async def stop(self) -> None:
        """Drop what is still queued or retrying: those files expire by themselves."""
        for task in [self._task, *self._sending]:
            if task is not None:
                task.cancel()
        for task in [self._task, *self._sending]:
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self._client.aclose()

    def purge(self, names: list[str]) -> None:
        """Queue a purge of each file; never blocks, never raises."""
        for name in names:
            try:
                self._queue.put_nowait(name)
            except asyncio.QueueFull:
                log.error("CDN purge queue full: %s expires by itself", name)

    async def _run(self) -> None:
        while True:
            name = await self._queue.get()
            await self._slots.acquire()
            task = asyncio.create_task(self._send(name), name=f"cdn-purge-{name}")
            self._sending.add(task)
            task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        self._slots.release()

    async def _send(self, name: str) -> None:
        for attempt, delay in enumerate((*self.delays, None)):
            try:
                response = await self._client.send(self.template.request(self._client, name))
                if response.is_success:
                    self.sent += 1
                    return
                problem = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if delay is None:
                break
            log.warning("CDN purge of %s failed (%s), attempt %d", name, problem, attempt + 1)
            await asyncio.sleep(delay)
        self.failed += 1
        log.error("CDN purge of %s gave up; it expires from the CDN by itself", name)
