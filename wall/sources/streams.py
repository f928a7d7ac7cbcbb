"""Following a network's push stream beside polling (``StreamingSource``).

One ``follow`` per stream key reads events and hands each to the caller's
handler until the poller stops. Polling stays the fallback, so a stream
never has to be perfect: one that breaks (network error, silence, ``5xx``)
is opened again after ``retry`` seconds, doubling up to ``max_backoff``, and
back to ``retry`` after a connection that delivered events; one the network
refuses (``PermanentSourceError``: no token, no such stream) is
left for the process's life. A stop ends the wait for the next event at
once, but an event being handled is finished first (shielded), so a
deletion is never half-applied.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import anyio

from wall.sources.base import (
    PermanentSourceError,
    RetryableSourceError,
    StreamEvent,
    StreamingSource,
)

log = logging.getLogger(__name__)

Handler = Callable[[StreamEvent], Awaitable[None]]


async def follow(
    source: StreamingSource,
    key: str,
    name: str,
    handle: Handler,
    stop: asyncio.Event,
    *,
    retry: float,
    max_backoff: float,
) -> None:
    """Read the stream ``key`` of the source ``name`` until ``stop`` is set or it is refused."""
    delay = retry
    while not stop.is_set():
        refused, delivered = await _read(source, key, name, handle, stop)
        if refused:
            return
        if delivered:
            delay = retry  # it worked: a break hours later is not a failure in a row
        with anyio.move_on_after(delay):
            await stop.wait()
        delay = min(delay * 2, max_backoff)


async def _read(
    source: StreamingSource, key: str, name: str, handle: Handler, stop: asyncio.Event
) -> tuple[bool, bool]:
    """One connection, until it ends: whether the network refused it, and whether
    it delivered events."""
    refused = delivered = False
    async with anyio.create_task_group() as group:
        group.start_soon(_cancel_on, stop, group.cancel_scope)
        try:
            async for event in source.stream(key):
                delivered = True
                with anyio.CancelScope(shield=True):
                    await handle(event)
        except PermanentSourceError as exc:
            log.warning("source %s: %s", name, exc)
            refused = True
        except RetryableSourceError as exc:
            log.info("source %s: %s; opened again later", name, exc)
        except Exception:
            log.exception("source %s: the stream of %s failed", name, key)
        group.cancel_scope.cancel()
    return refused, delivered


async def _cancel_on(stop: asyncio.Event, scope: anyio.CancelScope) -> None:
    await stop.wait()
    scope.cancel()
