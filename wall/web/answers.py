"""Public JSON answers: ETags, ``304``, and a cache that lives until the next event.

Thousands of screens read the same feed. Every change to what the public
sees is an event row, so an answer computed when the hub had read event N is
still right for every request made while the hub is at N: those requests are
served from memory, and only one of them queries the database.

Answers also expire after ``WALL_ANSWER_CACHE_SECONDS``: a change whose event
this process never read (a lost event is what the wall page's periodic
resync is there to repair) must not be hidden by the cache for the rest of
the day.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

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


@dataclass
class _Entry:
    answer: Answer
    stored_at: float


@dataclass
class _Flight:
    """The lock of one key, and how many requests hold or wait for it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class AnswerCache:
    """Answers keyed by request, dropped when the hub reads a new event or after
    ``max_age`` seconds.

    Each key has its own lock: a crowd asking for one key costs one
    computation, and a slow key (stats over a busy day) never holds up
    another (the feed). The age limit bounds how long an answer can outlive
    a change whose event this process never read.
    """

    def __init__(
        self,
        max_age: float,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_age = max_age
        self.max_entries = max_entries
        self._clock = clock
        self._event_id = -1
        self._entries: dict[str, _Entry] = {}
        self._flights: dict[str, _Flight] = {}

    def _fresh(self, key: str, event_id: int) -> Answer | None:
        entry = self._entries.get(key)
        if entry is None or event_id != self._event_id:
            return None
        if self._clock() - entry.stored_at >= self.max_age:
            return None
        return entry.answer

    def _store(self, key: str, event_id: int, answer: Answer, started_at: float) -> None:
        if event_id != self._event_id:
            # All entries belong to the event the hub had read before computing
            # them: an answer computed at another event starts a new generation.
            self._entries.clear()
            self._event_id = event_id
        elif len(self._entries) >= self.max_entries and key not in self._entries:
            self._entries.clear()
        self._entries[key] = _Entry(answer, started_at)

    async def get_or_compute(
        self, key: str, event_id: int, compute: Callable[[], Awaitable[Answer]]
    ) -> Answer:
        answer = self._fresh(key, event_id)
        if answer is not None:
            return answer
        flight = self._flights.setdefault(key, _Flight())
        flight.users += 1
        try:
            async with flight.lock:  # one database query for a crowd of screens
                answer = self._fresh(key, event_id)
                if answer is None:
                    started_at = self._clock()  # its age counts from before the query
                    answer = await compute()
                    self._store(key, event_id, answer, started_at)
                return answer
        finally:
            flight.users -= 1
            if flight.users == 0:
                del self._flights[key]
