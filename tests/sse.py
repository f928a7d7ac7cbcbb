"""A small Server-Sent Events reader for tests against a live server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class SSEEvent:
    id: str | None
    event: str
    data: Any


@dataclass
class SSEReader:
    response: httpx.Response
    comments: list[str] = field(default_factory=list)
    _lines: AsyncIterator[str] | None = None

    async def next_event(self, within: float = 5.0) -> SSEEvent:
        """The next event; ``TimeoutError`` if none arrives ``within`` seconds."""
        async with asyncio.timeout(within):
            return await self._next()

    async def _next(self) -> SSEEvent:
        if self._lines is None:
            self._lines = self.response.aiter_lines()
        event_id: str | None = None
        name = "message"
        data: list[str] = []
        async for line in self._lines:
            if line == "":
                if data:
                    return SSEEvent(event_id, name, json.loads("\n".join(data)))
                continue
            if line.startswith(":"):
                self.comments.append(line)
                continue
            key, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if key == "id":
                event_id = value
            elif key == "event":
                name = value
            elif key == "data":
                data.append(value)
        raise EOFError("the stream ended")


@asynccontextmanager
async def sse(
    base_url: str, *, last_event_id: str | None = None, after: int | None = None
) -> AsyncIterator[SSEReader]:
    headers = {"Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    params = {"after": str(after)} if after is not None else {}
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(10, read=30)) as client,
        client.stream("GET", "/api/wall/events", headers=headers, params=params) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        yield SSEReader(response)
