"""The answer cache: one computation per key and event, keys independent of each other."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from wall.web.answers import Answer, AnswerCache, encode

DEADLINE = 10.0  # seconds; only reached when the behaviour under test is broken


def _answer(text: str) -> Answer:
    return encode({"value": text})


def _counting(
    text: str, gate: asyncio.Event | None = None
) -> tuple[list[int], Callable[[], Awaitable[Answer]]]:
    calls: list[int] = []

    async def compute() -> Answer:
        calls.append(1)
        if gate is not None:
            await gate.wait()
        return _answer(text)

    return calls, compute


async def _settle() -> None:
    """Let every ready task run until it waits on something."""
    for _ in range(10):
        await asyncio.sleep(0)


async def test_a_slow_key_does_not_hold_up_another() -> None:
    cache = AnswerCache(max_age=30)
    started, release = asyncio.Event(), asyncio.Event()

    async def slow_stats() -> Answer:
        started.set()
        await release.wait()
        return _answer("stats")

    stats = asyncio.create_task(cache.get_or_compute("stats", 1, slow_stats))
    await asyncio.wait_for(started.wait(), DEADLINE)
    _, feed = _counting("feed")
    try:
        async with asyncio.timeout(DEADLINE):  # a shared lock would wait for the stats forever
            answer = await cache.get_or_compute("photos:50:", 1, feed)
        assert answer == _answer("feed")
        assert not stats.done()
    finally:
        release.set()
    assert await asyncio.wait_for(stats, DEADLINE) == _answer("stats")


async def test_a_crowd_on_one_key_computes_once() -> None:
    cache = AnswerCache(max_age=30)
    gate = asyncio.Event()
    calls, compute = _counting("feed", gate)
    crowd = [asyncio.create_task(cache.get_or_compute("photos:50:", 7, compute)) for _ in range(50)]
    await _settle()  # all 50 have asked before the first answer exists
    assert calls == [1]
    gate.set()
    answers = await asyncio.wait_for(asyncio.gather(*crowd), DEADLINE)
    assert answers == [_answer("feed")] * 50
    assert calls == [1]
    assert cache._flights == {}  # no lock left behind for a key nobody waits on


async def test_a_new_event_drops_every_answer() -> None:
    cache = AnswerCache(max_age=30)
    feed_calls, feed = _counting("feed")
    stats_calls, stats = _counting("stats")
    await cache.get_or_compute("photos:50:", 1, feed)
    await cache.get_or_compute("stats", 1, stats)
    await cache.get_or_compute("photos:50:", 1, feed)
    assert (len(feed_calls), len(stats_calls)) == (1, 1)
    await cache.get_or_compute("photos:50:", 2, feed)
    await cache.get_or_compute("stats", 2, stats)
    assert (len(feed_calls), len(stats_calls)) == (2, 2)


async def test_an_answer_computed_before_an_event_is_not_served_after_it() -> None:
    cache = AnswerCache(max_age=30)
    started, release = asyncio.Event(), asyncio.Event()

    async def old_feed() -> Answer:
        started.set()
        await release.wait()
        return _answer("before event 6")

    # A feed miss starts at event 5; meanwhile event 6 arrives and the stats are computed.
    slow = asyncio.create_task(cache.get_or_compute("photos:50:", 5, old_feed))
    await asyncio.wait_for(started.wait(), DEADLINE)
    _, stats = _counting("stats")
    await cache.get_or_compute("stats", 6, stats)
    release.set()
    assert await asyncio.wait_for(slow, DEADLINE) == _answer("before event 6")

    calls, new_feed = _counting("after event 6")
    assert await cache.get_or_compute("photos:50:", 6, new_feed) == _answer("after event 6")
    assert calls == [1]


async def test_answers_expire_after_max_age() -> None:
    now = [100.0]
    cache = AnswerCache(max_age=30, clock=lambda: now[0])
    calls, compute = _counting("feed")
    await cache.get_or_compute("photos:50:", 3, compute)
    now[0] = 129.9
    await cache.get_or_compute("photos:50:", 3, compute)
    assert len(calls) == 1
    now[0] = 130.0
    await cache.get_or_compute("photos:50:", 3, compute)
    assert len(calls) == 2


async def test_a_failed_or_abandoned_computation_lets_the_next_request_compute() -> None:
    cache = AnswerCache(max_age=30)

    async def broken() -> Answer:
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        await cache.get_or_compute("stats", 1, broken)
    started = asyncio.Event()

    async def never() -> Answer:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    abandoned = asyncio.create_task(cache.get_or_compute("stats", 1, never))
    await asyncio.wait_for(started.wait(), DEADLINE)
    calls, compute = _counting("stats")
    waiter = asyncio.create_task(cache.get_or_compute("stats", 1, compute))
    await _settle()
    abandoned.cancel()  # the client that started the query went away
    assert await asyncio.wait_for(waiter, DEADLINE) == _answer("stats")
    assert calls == [1]
    assert cache._flights == {}


async def test_a_crowd_of_screens_costs_one_query_per_answer(client: httpx.AsyncClient) -> None:
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        crowd = [client.get("/api/wall/stats") for _ in range(50)]
        crowd += [client.get("/api/wall/photos?limit=50") for _ in range(50)]
        responses = await asyncio.gather(*crowd)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert {r.status_code for r in responses} == {200}
    assert len({r.headers["etag"] for r in responses[:50]}) == 1
    assert sum("GROUP BY photos.source" in s for s in statements) == 1
    assert sum("ORDER BY photos.approved_at DESC" in s for s in statements) == 1
