"""The event log, its SSE encoding and the fan-out to open connections.

Every visible change is a row in ``events``; its id is the SSE event id.
Each process runs one ``EventHub`` that tails the table and hands new rows
to bounded per-connection queues.

**Ids in commit order.** A tail of ``id > last_id`` is only gap-free if no
row can become visible after a row with a higher id. SQLite guarantees it:
writers are serialised (``BEGIN IMMEDIATE``). PostgreSQL does not: a
sequence value is taken at insert, so a transaction holding id 5 can commit
after one holding id 6, and a reader that has moved past 6 skips 5 for good
(measured before this fix, two processes: 4 of 20 simultaneous approvals
reached a screen). Events are therefore written at the commit: ``append``
queues them on the session, and just before the COMMIT a transaction takes
a transaction-scoped advisory lock and inserts them all. From there to its
commit, a transaction is the only one that can add events, so ids are
handed out in commit order, and the lock is released only once the rows are
visible. We chose this over the two
alternatives because it keeps the row id as the public SSE id with no new
column or reader logic: ``pg_snapshot_xmin`` over an ``xid8`` column orders
rows by transaction, not by id, so a client-visible monotonic id would need a
second number; allocating the number at commit needs a second write per
transaction. The price is that event-writing transactions commit one at a
time: the lock covers one insert, one ``pg_notify`` and the commit, nothing
of the work before them (``bench/decisions_per_second.py`` measures it; when
the insert was made at ``append`` time, the lock also covered the rest of a
decision's work, and 4 of 8 connections were seen waiting on it).

**Publishing is part of the commit.** ``append`` notes the row on the
session; ``Database.writing`` runs the hub's after-commit hook, which hands
every committed row out before the writer's request answers. No writer calls
the hub. Other processes are woken by ``NOTIFY`` (PostgreSQL: the listener
reconnects with backoff when its connection drops) and otherwise by a short
poll.

**Replay** after a reconnect is served from an in-memory window of recent
events, so a storm of reconnecting screens costs no query per screen; only a
client older than the window reads the table, and one too far behind gets a
``reset``. Each event is encoded once, whatever the number of connections.
A replay from the window equals a replay from the table: the transactions
that delete event rows say so with an event of their own, and each hub's
window drops the same rows when that event reaches it (``photo.erased``: the
copies of an erased photo; ``campaign.purged``: everything older).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy.event
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from wall.background import let_finish
from wall.db import Database
from wall.models import Event

log = logging.getLogger(__name__)

PUBLIC_EVENT_TYPES = frozenset({"photo.approved", "photo.updated", "photo.removed"})
# Written by a transaction that deleted rows (wall.moderation.erasure, wall.purge).
ERASED_EVENT = "photo.erased"  # the photo's copies (photo.approved, photo.updated) are gone
PURGED_EVENT = "campaign.purged"  # every older row is gone
COPY_EVENT_TYPES = frozenset({"photo.approved", "photo.updated"})
NOTIFY_CHANNEL = "wall_events"
LISTENER_NAME = "vague-verte-listen"  # in pg_stat_activity
# Any constant shared by every process; pg_advisory_xact_lock takes a bigint.
ORDER_LOCK_KEY = 0x5741_4C4C_4556_5453 & 0x7FFF_FFFF_FFFF_FFFF  # "WALLEVTS"
PENDING_KEY = "wall.events.pending"
WRITTEN_KEY = "wall.events.last_written"
REPLAY_LIMIT = 500
WINDOW_SIZE = 2048
QUEUE_SIZE = 256
READ_BATCH = 500
LISTEN_BACKOFF_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class WallEvent:
    id: int
    type: str
    data: dict[str, Any]
    photo_id: str | None = None
    frame: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Encoded once here, then the same bytes go to every connection.
        payload = json.dumps(self.data, ensure_ascii=False, separators=(",", ":"))
        frame = f"id: {self.id}\nevent: {self.type}\ndata: {payload}\n\n".encode()
        object.__setattr__(self, "frame", frame)

    @classmethod
    def from_row(cls, row: Event) -> WallEvent:
        return cls(row.id, row.type, row.data, row.photo_id)


def encode_reset(last_id: int) -> bytes:
    return f"id: {last_id}\nevent: reset\ndata: {{}}\n\n".encode()


def append(
    session: AsyncSession, type_: str, data: dict[str, Any], photo_id: str | None = None
) -> None:
    """Add an event to the caller's transaction; it is handed out after the commit.

    The row is written at the commit, with the transaction's other events, as
    its last statement: on PostgreSQL the event order lock is then held only
    for that insert and the commit itself.
    """
    pending: list[Event] = session.info.setdefault(PENDING_KEY, [])
    pending.append(Event(type=type_, data=data, photo_id=photo_id))


async def write_now(session: AsyncSession) -> list[Event]:
    """Write the transaction's events now, for a caller that needs their ids.

    The transaction then holds the event order lock until its commit.
    """
    return await session.run_sync(_write_pending)


def _write_pending(session: Session) -> list[Event]:
    rows: list[Event] = session.info.pop(PENDING_KEY, [])
    if not rows:
        return rows
    # The transaction's other writes first, outside the lock: a row lock waited
    # for while holding it could deadlock with a writer waiting for it.
    session.flush()
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ORDER_LOCK_KEY})
    session.add_all(rows)
    session.flush()
    if postgres:
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
    session.info[WRITTEN_KEY] = max(session.info.get(WRITTEN_KEY, 0), *(row.id for row in rows))
    return rows


@sqlalchemy.event.listens_for(Session, "before_commit")
def _write_at_commit(session: Session) -> None:
    _write_pending(session)


@sqlalchemy.event.listens_for(Session, "after_rollback")
def _drop_on_rollback(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


class Subscription:
    """One open connection's queue of events; closed when it falls too far behind."""

    def __init__(self, types: frozenset[str], *, stream: bool = True) -> None:
        self.types = types
        self.stream = stream  # False: a consumer inside the process, not a client
        self.queue: asyncio.Queue[WallEvent | None] = asyncio.Queue(QUEUE_SIZE)
        self.closed = False

    def offer(self, event: WallEvent) -> bool:
        """Queue ``event`` if this subscription wants it; whether it was queued."""
        if self.closed or event.type not in self.types:
            return False
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            # A slow client: end its stream; it reconnects with Last-Event-ID.
            self.close()
            return False
        return True

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(asyncio.QueueEmpty):
            while True:
                self.queue.get_nowait()
        self.queue.put_nowait(None)


class ReplayWindow:
    """The most recent events, complete for every id above ``floor``: a replay
    from here gives exactly what the table would."""

    def __init__(self, size: int = WINDOW_SIZE) -> None:
        self.size = size
        self.floor = 0
        self._events: deque[WallEvent] = deque()

    def fill(self, newest_first: list[WallEvent], complete: bool) -> None:
        """Start from the table's newest rows; ``complete`` when they are all of it."""
        self._events = deque(reversed(newest_first))
        if complete or not newest_first:
            self.floor = 0
        else:
            self.floor = newest_first[-1].id - 1

    def add(self, event: WallEvent) -> None:
        self._forget(event)
        self._events.append(event)
        while len(self._events) > self.size:
            self.floor = self._events.popleft().id

    def _forget(self, event: WallEvent) -> None:
        """Drop what the transaction that wrote ``event`` deleted from the table."""
        if event.type == ERASED_EVENT:
            self._events = deque(
                e
                for e in self._events
                if not (e.photo_id == event.photo_id and e.type in COPY_EVENT_TYPES)
            )
        elif event.type == PURGED_EVENT:
            self._events = deque(e for e in self._events if e.id > event.id)

    def covers(self, after_id: int) -> bool:
        return after_id >= self.floor

    def since(self, after_id: int, up_to: int, types: frozenset[str]) -> list[WallEvent]:
        # Ids increase along the window: a storm of reconnecting screens, most of
        # them one or two events behind, does not scan the whole window each.
        start = bisect.bisect_right(self._events, after_id, key=lambda e: e.id)
        newer = itertools.islice(self._events, start, None)
        return [e for e in newer if e.id <= up_to and e.type in types]


class EventHub:
    """Tails the event table and fans new rows out to subscriptions."""

    def __init__(
        self, db: Database, poll_seconds: float = 0.5, window_size: int = WINDOW_SIZE
    ) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self.last_id = 0
        self.window = ReplayWindow(window_size)
        self.reads = 0  # reads of the table to hand out new rows
        self.replay_reads = 0  # reads for clients older than the window
        self.appended = 0  # events read from the log since start (written by any process)
        self.handed_out = 0  # events queued for client streams
        self.listening = False
        self._subscriptions: set[Subscription] = set()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listen_task: asyncio.Task[None] | None = None
        self._listener: Any = None
        self._listener_lost = asyncio.Event()
        self._stop_requested = asyncio.Event()
        self._stopping = False
        self._ending = False
        self._dispatching = asyncio.Lock()

    @property
    def connections(self) -> int:
        """Open client streams (subscriptions inside the process are not counted)."""
        return sum(1 for subscription in self._subscriptions if subscription.stream)

    async def start(self) -> None:
        async with self.db.reading() as session:
            self.reads += 1
            rows = (
                await session.scalars(
                    select(Event).order_by(Event.id.desc()).limit(self.window.size)
                )
            ).all()
        recent = [WallEvent.from_row(row) for row in rows]
        self.window.fill(recent, complete=len(rows) < self.window.size)
        self.last_id = recent[0].id if recent else 0
        self.db.after_commit(self._committed)
        self._task = asyncio.create_task(self._run(), name="event-hub")
        if self.db.url.startswith("postgresql"):
            await self._listen()
            self._listen_task = asyncio.create_task(self._keep_listening(), name="event-listen")

    def end_streams(self) -> None:
        """End every open stream now and refuse new ones: the process is shutting down.

        Screens reconnect to another process (or this one restarted) with
        ``Last-Event-ID``; nothing is lost.
        """
        if self._ending:
            return
        self._ending = True
        count = self.connections
        for subscription in list(self._subscriptions):
            subscription.close()
        log.info("shutting down: ended %d event streams", count)

    async def stop(self) -> None:
        self._stopping = True
        self.end_streams()
        self._subscriptions.clear()
        self.wake()
        self._listener_lost.set()
        self._stop_requested.set()
        await let_finish(self._task)
        await let_finish(self._listen_task, grace=1)
        await self._close_listener()

    def wake(self) -> None:
        """Look for new rows soon."""
        self._wakeup.set()

    async def catch_up(self, up_to: int | None = None) -> None:
        """Hand out every committed row now (up to ``up_to`` at least, if given).

        Many writers committing together share one read: a writer whose row
        was handed out by another's read returns at once.
        """
        if up_to is not None and self.last_id >= up_to:
            return
        async with self._dispatching:  # the loop and catch_up() must not both hand out a row
            if up_to is not None and self.last_id >= up_to:
                return
            await self._dispatch_unlocked()

    async def _committed(self, session: AsyncSession) -> None:
        written = session.info.pop(WRITTEN_KEY, None)
        if written is None:
            return
        try:
            await self.catch_up(written)
        except Exception:
            # The writer's transaction has committed: its answer must not fail.
            log.exception("event hub could not read new events; retrying")
            self.wake()

    async def latest_id(self) -> int:
        async with self.db.reading() as session:
            self.reads += 1
            return int(await session.scalar(select(func.max(Event.id))) or 0)

    def subscribe(
        self, types: Iterable[str] = PUBLIC_EVENT_TYPES, *, stream: bool = True
    ) -> Subscription:
        subscription = Subscription(frozenset(types), stream=stream)
        if self._ending:
            subscription.close()
        else:
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
        if self.window.covers(after_id):
            missed = self.window.since(after_id, up_to, types)
            return None if len(missed) > REPLAY_LIMIT else missed
        async with self.db.reading() as session:
            self.replay_reads += 1
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
        return [WallEvent.from_row(row) for row in rows]

    async def _listen(self) -> bool:
        import asyncpg  # only on PostgreSQL
        from sqlalchemy.engine import make_url

        url = make_url(self.db.url).set(drivername="postgresql")
        try:
            listener = await asyncpg.connect(
                url.render_as_string(hide_password=False),
                timeout=5,
                server_settings={"application_name": LISTENER_NAME},
            )
            await listener.add_listener(NOTIFY_CHANNEL, lambda *_: self.wake())
        except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
            if self._listen_task is None:
                log.warning("LISTEN unavailable, polling every %ss: %s", self.poll_seconds, exc)
            self.listening = False
            return False
        listener.add_termination_listener(lambda *_: self._listener_lost.set())
        self._listener = listener
        self._listener_lost.clear()
        self.listening = True
        self.wake()  # rows committed while nobody listened
        return True

    async def _keep_listening(self) -> None:
        """Reconnect the LISTEN connection whenever it drops, with backoff."""
        attempt = 0
        while not self._stopping:
            if self.listening:
                await self._listener_lost.wait()  # also set by stop()
                if self._stopping:
                    return
                log.warning("LISTEN connection lost; polling until it is back")
                self.listening = False
                await self._close_listener()
                attempt = 0
            delay = LISTEN_BACKOFF_SECONDS[min(attempt, len(LISTEN_BACKOFF_SECONDS) - 1)]
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._stop_requested.wait()
            if self._stopping:
                return
            if await self._listen():
                log.warning("LISTEN connection restored")
            else:
                attempt += 1

    async def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(Exception):
                await listener.close(timeout=1)

    async def _run(self) -> None:
        while not self._stopping:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wakeup.wait()
            self._wakeup.clear()
            try:
                await self.catch_up()
            except Exception:
                log.exception("event hub could not read new events")

    async def _dispatch_unlocked(self) -> None:
        while True:
            async with self.db.reading() as session:
                self.reads += 1
                rows = (
                    await session.scalars(
                        select(Event)
                        .where(Event.id > self.last_id)
                        .order_by(Event.id)
                        .limit(READ_BATCH)
                    )
                ).all()
            for row in rows:
                event = WallEvent.from_row(row)
                self.last_id = row.id
                self.window.add(event)
                self.appended += 1
                for subscription in list(self._subscriptions):
                    if subscription.offer(event) and subscription.stream:
                        self.handed_out += 1
            if len(rows) < READ_BATCH:
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
            else:
                hub.handed_out += len(missed)
                for event in missed:
                    yield event.frame
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
                yield item.frame
    finally:
        hub.unsubscribe(subscription)
