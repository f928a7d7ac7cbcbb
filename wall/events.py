"""The event log, its SSE encoding and the fan-out to open connections.

Every visible change is a row in ``events``; its id is the SSE event id.
Each process runs one ``EventHub`` that tails the table and hands new rows
to bounded per-connection queues. The hub is woken at once by writes made in
its own process, by ``NOTIFY`` on PostgreSQL, and otherwise finds rows
written by other processes with a short poll. Replay after a reconnect reads
the table; a client too far behind gets a ``reset`` instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from wall.background import let_finish
from wall.db import Database
from wall.models import Event

log = logging.getLogger(__name__)

PUBLIC_EVENT_TYPES = frozenset({"photo.approved", "photo.updated", "photo.removed"})
NOTIFY_CHANNEL = "wall_events"
REPLAY_LIMIT = 500
QUEUE_SIZE = 256


@dataclass(frozen=True)
class WallEvent:
    id: int
    type: str
    data: dict[str, Any]

    def encode(self) -> bytes:
        payload = json.dumps(self.data, ensure_ascii=False, separators=(",", ":"))
        return f"id: {self.id}\nevent: {self.type}\ndata: {payload}\n\n".encode()


def encode_reset(last_id: int) -> bytes:
    return f"id: {last_id}\nevent: reset\ndata: {{}}\n\n".encode()


async def append(
    session: AsyncSession, type_: str, data: dict[str, Any], photo_id: str | None = None
) -> Event:
    """Write an event row in the caller's transaction (on PostgreSQL, NOTIFY on commit)."""
    row = Event(type=type_, data=data, photo_id=photo_id)
    session.add(row)
    await session.flush()
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
    return row


class Subscription:
    """One open connection's queue of events; closed when it falls too far behind."""

    def __init__(self, types: frozenset[str]) -> None:
        self.types = types
        self.queue: asyncio.Queue[WallEvent | None] = asyncio.Queue(QUEUE_SIZE)
        self.closed = False

    def offer(self, event: WallEvent) -> None:
        if self.closed or event.type not in self.types:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            # A slow client: end its stream; it reconnects with Last-Event-ID.
            self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(asyncio.QueueEmpty):
            while True:
                self.queue.get_nowait()
        self.queue.put_nowait(None)


class EventHub:
    """Tails the event table and fans new rows out to subscriptions."""

    def __init__(self, db: Database, poll_seconds: float = 0.5) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self.last_id = 0
        self._subscriptions: set[Subscription] = set()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: Any = None
        self._stopping = False
        self._dispatching = asyncio.Lock()

    @property
    def connections(self) -> int:
        return len(self._subscriptions)

    async def start(self) -> None:
        self.last_id = await self.latest_id()
        self._task = asyncio.create_task(self._run(), name="event-hub")
        if self.db.url.startswith("postgresql"):
            await self._listen()

    async def stop(self) -> None:
        self._stopping = True
        self.wake()
        for subscription in list(self._subscriptions):
            subscription.close()
        self._subscriptions.clear()
        await let_finish(self._task)
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()

    def wake(self) -> None:
        """Look for new rows soon (after a commit in this process)."""
        self._wakeup.set()

    async def catch_up(self) -> None:
        """Hand out every committed row now: after a request's own commit, so its
        answer never gets ahead of the screens and the feed cache."""
        await self._dispatch_new()

    async def latest_id(self) -> int:
        async with self.db.reading() as session:
            return int(await session.scalar(select(func.max(Event.id))) or 0)

    def subscribe(self, types: Iterable[str] = PUBLIC_EVENT_TYPES) -> Subscription:
        subscription = Subscription(frozenset(types))
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    async def replay(
        self, after_id: int, up_to: int, types: frozenset[str]
    ) -> list[WallEvent] | None:
        """Events in ``(after_id, up_to]``; None when the client must reset instead."""
        if after_id > up_to:
            return None  # an id from before a database reset
        async with self.db.reading() as session:
            rows = (
                await session.scalars(
                    select(Event)
                    .where(Event.id > after_id, Event.id <= up_to, Event.type.in_(types))
                    .order_by(Event.id)
                    .limit(REPLAY_LIMIT + 1)
                )
            ).all()
        if len(rows) > REPLAY_LIMIT:
            return None
        return [WallEvent(row.id, row.type, row.data) for row in rows]

    async def _listen(self) -> None:
        import asyncpg  # only on PostgreSQL
        from sqlalchemy.engine import make_url

        url = make_url(self.db.url).set(drivername="postgresql")
        try:
            self._listener = await asyncpg.connect(url.render_as_string(hide_password=False))
            await self._listener.add_listener(NOTIFY_CHANNEL, lambda *_: self.wake())
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("LISTEN unavailable, polling only: %s", exc)
            self._listener = None

    async def _run(self) -> None:
        while not self._stopping:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wakeup.wait()
            self._wakeup.clear()
            try:
                await self._dispatch_new()
            except Exception:
                log.exception("event hub could not read new events")

    async def _dispatch_new(self) -> None:
        async with self._dispatching:  # the loop and catch_up() must not both hand out a row
            await self._dispatch_unlocked()

    async def _dispatch_unlocked(self) -> None:
        while True:
            async with self.db.reading() as session:
                rows = (
                    await session.scalars(
                        select(Event).where(Event.id > self.last_id).order_by(Event.id).limit(500)
                    )
                ).all()
            for row in rows:
                event = WallEvent(row.id, row.type, row.data)
                self.last_id = row.id
                for subscription in list(self._subscriptions):
                    subscription.offer(event)
            if len(rows) < 500:
                return


async def stream(
    hub: EventHub,
    after_id: int | None,
    heartbeat_seconds: float,
    types: frozenset[str] = PUBLIC_EVENT_TYPES,
) -> AsyncIterator[bytes]:
    """The bytes of one SSE connection: replay, then live events and heartbeats."""
    subscription = hub.subscribe(types)
    try:
        up_to = hub.last_id
        yield b"retry: 3000\n\n"
        last_sent = up_to if after_id is None else after_id
        if after_id is not None and after_id != up_to:
            missed = await hub.replay(after_id, up_to, types)
            if missed is None:
                yield encode_reset(up_to)
                last_sent = up_to
            else:
                for event in missed:
                    yield event.encode()
                last_sent = up_to
        while True:
            try:
                async with asyncio.timeout(heartbeat_seconds):
                    item = await subscription.queue.get()
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if item is None:
                return
            if item.id > last_sent:
                last_sent = item.id
                yield item.encode()
    finally:
        hub.unsubscribe(subscription)
