"""Running the app for tests: its lifespan in-process, or a real uvicorn in a thread."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send


@asynccontextmanager
async def running(app: Starlette) -> AsyncIterator[ASGIApp]:
    """Enter the app's lifespan and give each request its state, as a server would."""
    async with app.router.lifespan_context(app) as state:
        shared: dict[str, Any] = dict(state or {})

        async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
            scope = dict(scope)
            scope["state"] = dict(shared)
            await app(scope, receive, send)

        yield with_state


class LiveServer:
    """uvicorn on a free port of 127.0.0.1, in its own thread and event loop."""

    def __init__(self, app: Starlette, port: int = 0) -> None:
        """On ``port`` (a free one when 0): a restart can take the port it had."""
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=1,
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.url = ""

    def _run(self) -> None:
        asyncio.run(self.server.serve())

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
