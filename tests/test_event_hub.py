"""The hub on a real database: replay from memory, slow readers, encoding once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from tests.moderation.factories import network_photo
from wall import events
from wall.config import Settings
from wall.db import Database
from wall.media import MediaStore
from wall.models import Event
from wall.moderation import service
from wall.moderation.states import Action
from wall.purge import purge


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_url, null_pool=True)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def hub(db: Database) -> AsyncIterator[events.EventHub]:
    """A started hub that finds other processes' rows only when told (a 60 s poll)."""
    started = events.EventHub(db, poll_seconds=60)
    await started.start()
    try:
        yield started
    finally:
        await started.stop()


async def _write(db: Database, count: int, type_: str = "photo.approved") -> list[int]:
    async with db.writing() as session:
        for index in range(count):
            events.append(session, type_, {"id": f"p{index}"}, f"p{index}")
        rows = await events.write_now(session)
    return [row.id for row in rows]


async def _table(db: Database, after_id: int) -> list[tuple[int, str, str]]:
    async with db.reading() as session:
        rows = (await session.scalars(select(Event).where(Event.id > after_id))).all()
    return [(row.id, row.type, row.data["id"]) for row in sorted(rows, key=lambda r: r.id)]


def _triples(replayed: list[events.WallEvent] | None) -> list[tuple[int, str, str]]:
    assert replayed is not None
    return [(e.id, e.type, e.data["id"]) for e in replayed]


async def test_a_restarted_hub_replays_recent_events_from_memory(db: Database) -> None:
    ids = await _write(db, 30)
    hub = events.EventHub(db, poll_seconds=60, window_size=10)
    await hub.start()
    try:
        reads = hub.replay_reads
        floor = ids[-10] - 1  # the ten newest rows are in memory
        # However many screens reconnect inside the window, the table is not read.
        for after_id in range(floor, ids[-1]):
            replayed = await hub.replay(after_id, hub.last_id, events.PUBLIC_EVENT_TYPES)
            assert _triples(replayed) == await _table(db, after_id)
        assert hub.replay_reads == reads
        # One step older than the window: read from the table, and still right.
        older = await hub.replay(floor - 1, hub.last_id, events.PUBLIC_EVENT_TYPES)
        assert _triples(older) == await _table(db, floor - 1)
        assert hub.replay_reads == reads + 1
    finally:
        await hub.stop()


async def test_new_events_slide_the_window(db: Database) -> None:
    await _write(db, 3)
    hub = events.EventHub(db, poll_seconds=60, window_size=5)
    await hub.start()
    try:
        assert hub.window.floor == 0  # the whole table fits
        ids = await _write(db, 4)  # handed out by the after-commit hook
        assert hub.last_id == ids[-1]
        assert hub.window.floor == ids[-1] - 5
        reads = hub.replay_reads
        replayed = await hub.replay(hub.window.floor, hub.last_id, events.PUBLIC_EVENT_TYPES)
        assert _triples(replayed) == await _table(db, hub.window.floor)
        assert hub.replay_reads == reads
    finally:
        await hub.stop()


async def test_a_writer_never_needs_to_call_the_hub(db: Database, hub: events.EventHub) -> None:
    subscription = hub.subscribe()
    (written,) = await _write(db, 1, "photo.removed")
    # Handed out when the transaction committed, before the writer went on.
    assert hub.last_id == written
    event = subscription.queue.get_nowait()
    assert event is not None and (event.id, event.type) == (written, "photo.removed")


async def test_a_reader_too_slow_for_its_queue_is_ended_then_replays_the_removal(
    db: Database,
) -> None:
    hub = events.EventHub(db, poll_seconds=60)
    await hub.start()
    try:
        start = hub.last_id
        body = events.stream(hub, start, heartbeat_seconds=60)
        assert await anext(body) == b"retry: 3000\n\n"
        await _write(db, events.QUEUE_SIZE + 10)  # the screen reads nothing meanwhile
        (removal,) = await _write(db, 1, "photo.removed")
        # Its stream ends rather than skipping events (what it had queued is dropped too).
        async with asyncio.timeout(10):  # a stream that skips instead would never end
            assert [frame async for frame in body] == []
        assert hub.connections == 0
        # Reconnecting with its Last-Event-ID, the screen gets everything, removal included.
        again = events.stream(hub, start, heartbeat_seconds=60)
        assert await anext(again) == b"retry: 3000\n\n"
        rest = [await anext(again) for _ in range(events.QUEUE_SIZE + 11)]
        await again.aclose()  # type: ignore[attr-defined]
        assert rest[-1].startswith(f"id: {removal}\nevent: photo.removed\n".encode())
    finally:
        await hub.stop()


async def test_each_event_is_encoded_once_for_every_connection(
    db: Database, hub: events.EventHub
) -> None:
    subscriptions = [hub.subscribe() for _ in range(3)]
    await _write(db, 1)
    frames = [s.queue.get_nowait() for s in subscriptions]
    assert frames[0] is not None
    assert all(f is not None and f.frame is frames[0].frame for f in frames)
    assert frames[0].frame == b'id: %d\nevent: photo.approved\ndata: {"id":"p0"}\n\n' % (
        frames[0].id
    )


async def test_after_shutdown_begins_new_streams_end_at_once(
    db: Database, hub: events.EventHub
) -> None:
    open_stream = events.stream(hub, None, heartbeat_seconds=60)
    assert await anext(open_stream) == b"retry: 3000\n\n"
    hub.end_streams()
    assert [frame async for frame in open_stream] == []
    late = events.stream(hub, None, heartbeat_seconds=60)
    assert [frame async for frame in late] == [b"retry: 3000\n\n"]
    assert hub.connections == 0


ALL_TYPES = frozenset({*events.PUBLIC_EVENT_TYPES, "queue.decided", "queue.submitted"})


async def _table_of(db: Database, after_id: int, types: frozenset[str]) -> list[tuple[int, str]]:
    async with db.reading() as session:
        rows = (
            await session.scalars(
                select(Event).where(Event.id > after_id, Event.type.in_(types)).order_by(Event.id)
            )
        ).all()
    return [(row.id, row.type) for row in rows]


async def test_an_erasure_leaves_the_window_equal_to_the_table(
    db: Database, settings: Settings
) -> None:
    erased = await network_photo(settings, caption="Bravo Zoé")
    kept = await network_photo(settings)
    hub = events.EventHub(db, poll_seconds=60)
    await hub.start()
    try:
        for photo_id in (erased, kept):
            async with db.writing() as session:
                await service.decide(session, photo_id, Action.APPROVE, rule="test")
        async with db.writing() as session:
            await service.decide(session, erased, Action.WITHDRAW, rule="uploader")
        assert hub.window.covers(0)
        for types in (events.PUBLIC_EVENT_TYPES, ALL_TYPES):
            for after_id in range(hub.last_id):
                replayed = await hub.replay(after_id, hub.last_id, types)
                assert replayed is not None
                assert [(e.id, e.type) for e in replayed] == await _table_of(db, after_id, types)
        public = await hub.replay(0, hub.last_id, events.PUBLIC_EVENT_TYPES)
        assert public is not None
        assert [(e.type, e.data["id"]) for e in public] == [
            ("photo.approved", kept),
            ("photo.removed", erased),
        ]
        assert all("Zoé" not in e.frame.decode() for e in public)
    finally:
        await hub.stop()


async def test_a_purge_leaves_the_window_equal_to_the_table(
    db: Database, settings: Settings
) -> None:
    photos = [await network_photo(settings, caption=f"Bravo Zoé {n}") for n in range(3)]
    hub = events.EventHub(db, poll_seconds=60)
    await hub.start()
    try:
        for photo_id in photos:
            async with db.writing() as session:
                await service.decide(session, photo_id, Action.APPROVE, rule="test")
        await purge(db, MediaStore(settings.media_path))
        for types in (events.PUBLIC_EVENT_TYPES, ALL_TYPES):
            for after_id in range(hub.last_id):
                replayed = await hub.replay(after_id, hub.last_id, types)
                assert replayed is not None
                assert [(e.id, e.type) for e in replayed] == await _table_of(db, after_id, types)
        public = await hub.replay(0, hub.last_id, events.PUBLIC_EVENT_TYPES)
        assert public is not None
        assert sorted((e.type, e.data["id"]) for e in public) == sorted(
            ("photo.removed", photo_id) for photo_id in photos
        )
    finally:
        await hub.stop()


async def test_a_rolled_back_transaction_writes_no_event(
    db: Database, hub: events.EventHub
) -> None:
    before = hub.last_id
    with pytest.raises(RuntimeError):
        async with db.writing() as session:
            events.append(session, "photo.removed", {"id": "p0"}, "p0")
            raise RuntimeError("the decision failed")
    (written,) = await _write(db, 1, "photo.approved")
    assert await _table(db, before) == [(written, "photo.approved", "p0")]


@pytest.fixture
async def postgres_db(postgres_url: str) -> AsyncIterator[Database]:
    from tests.conftest import _truncate

    await _truncate(postgres_url)
    database = Database(postgres_url, null_pool=True)
    try:
        yield database
    finally:
        await database.dispose()


async def test_the_event_order_lock_covers_only_the_commit(postgres_db: Database) -> None:
    """A transaction busy with other work after appending its event does not hold
    up another writer: the lock is taken at the commit, not at ``append``."""
    slow_appended = asyncio.Event()
    finish_slow = asyncio.Event()

    async def slow_writer() -> None:
        async with postgres_db.writing() as session:
            events.append(session, "photo.approved", {"id": "slow"}, "slow")
            slow_appended.set()
            await finish_slow.wait()  # a decision's remaining work

    slow = asyncio.create_task(slow_writer())
    await slow_appended.wait()
    async with asyncio.timeout(10):  # with the lock taken at append, this waits forever
        (quick,) = await _write(postgres_db, 1, "photo.removed")
    finish_slow.set()
    await slow
    rows = await _table(postgres_db, 0)
    assert [r[2] for r in rows] == ["p0", "slow"] and rows[0][0] == quick < rows[1][0]
