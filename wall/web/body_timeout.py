"""A deadline for request bodies: a client that stalls mid-upload is answered 408.

Without one, a phone that loses its signal halfway through a photo, or a
client that sends a byte a minute, held its connection, its concurrent-upload
place and its spool space for as long as it liked. The whole body must arrive
within ``WALL_BODY_TIMEOUT_SECONDS`` of its first read: a total, not an idle
timeout, which a byte a minute would reset. Once the body is complete,
``receive`` is left alone (an event stream waits on it for the disconnect).
"""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wall.errors import RequestTimeout


class BodyTimeout:
    """Raises ``RequestTimeout`` from ``receive`` once the body is late."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline: float | None = None
        complete = False

        async def timed_receive() -> Message:
            nonlocal deadline, complete
            if complete:
                return await receive()
            if deadline is None:
                deadline = anyio.current_time() + self.seconds
            message: Message | None = None
            with anyio.move_on_after(deadline - anyio.current_time()):
                message = await receive()
            if message is None:
                raise RequestTimeout()
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        await self.app(scope, timed_receive, send)
