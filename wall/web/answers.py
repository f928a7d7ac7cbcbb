"""Public JSON answers: ETags, ``304``, and a cache that lives until the next event.

Thousands of screens read the same feed. Every change to what the public
sees is an event row, so an answer computed when the hub had read event N is
still right for every request made while the hub is at N: those requests are
served from memory, and only one of them queries the database.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

MAX_ENTRIES = 256


@dataclass(frozen=True)
class Answer:
    body: bytes
    etag: str


def encode(payload: dict[str, object], volatile: frozenset[str] = frozenset()) -> Answer:
    """JSON bytes and an ETag; keys in ``volatile`` are sent but left out of the tag.

    A client holding an older value of a volatile key still holds a valid answer.
    """
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    stable = {key: value for key, value in payload.items() if key not in volatile}
    digest = hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()
    return Answer(body, f'"{digest[:32]}"')


def respond(request: Request, answer: Answer) -> Response:
    """The answer, or ``304`` when the client's ``If-None-Match`` already names it."""
    headers = {"ETag": answer.etag, "Cache-Control": "no-cache"}
    if answer.etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(answer.body, media_type="application/json", headers=headers)


class AnswerCache:
    """Answers keyed by request, all dropped when the hub reads a new event."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._event_id = -1
        self._entries: dict[str, Answer] = {}
        self._lock = asyncio.Lock()

    async def get_or_compute(
        self, key: str, event_id: int, compute: Callable[[], Awaitable[Answer]]
    ) -> Answer:
        if event_id == self._event_id and key in self._entries:
            return self._entries[key]
        async with self._lock:  # one database query for a crowd of screens
            if event_id != self._event_id:
                self._entries.clear()
                self._event_id = event_id
            if key not in self._entries:
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
                self._entries[key] = await compute()
            return self._entries[key]
