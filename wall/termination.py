"""Noticing SIGTERM and SIGINT as they arrive, before the server drains.

uvicorn runs the lifespan's shutdown only after every response has ended,
and an event stream never ends by itself: without help, each restart waits
out the graceful-shutdown timeout and then cancels every stream (one
traceback per screen). The app chains its own handler in front of the
server's, so that the streams end the moment the signal arrives.
"""

from __future__ import annotations

import asyncio
import contextvars
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def on_termination(callback: Callable[[], None]) -> Iterator[None]:
    """Call ``callback`` on the running loop when SIGTERM or SIGINT arrives.

    The previous handler (the server's) still runs. Outside the main thread,
    where signals cannot be caught (a server run in a test thread), this does
    nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {sig: signal.getsignal(sig) for sig in SIGNALS}

    def handle(signum: int, frame: FrameType | None) -> None:
        # A fresh context: the signal may interrupt a request, whose id is not this line's.
        loop.call_soon_threadsafe(callback, context=contextvars.Context())
        before = previous[signum]
        if callable(before):
            before(signum, frame)
        elif before == signal.SIG_DFL:
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)

    for sig in SIGNALS:
        signal.signal(sig, handle)
    try:
        yield
    finally:
        for signum, before in previous.items():
            if signal.getsignal(signum) is handle:
                signal.signal(signum, before)
