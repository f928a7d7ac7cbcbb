"""Ending the app's background tasks (event hub, poller, file sweep) cleanly."""

from __future__ import annotations

import asyncio
import contextlib


async def let_finish(task: asyncio.Task[None] | None, grace: float = 5.0) -> None:
    """Wait up to ``grace`` seconds for ``task`` to end by itself, then cancel it.

    A task told to stop is given time to finish what it is doing: cancelling a
    database read midway can leave a connection behind the closing event loop.
    Its own exception, if any, is raised.
    """
    if task is None:
        return
    try:
        async with asyncio.timeout(grace):
            await asyncio.shield(task)
    except TimeoutError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
