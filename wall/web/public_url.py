"""Every absolute link follows ``WALL_PUBLIC_URL``.

Behind a proxy the request's own address is the proxy's view of the app
(``http://127.0.0.1:8000``, or whatever ``Host`` it passes). When the public
address is configured, this middleware gives every request its scheme, host
and path prefix, so ``url_for`` (manage links, the QR code, redirects, page
links) and ``request.url`` name the site as visitors reach it, wherever the
link is built.
"""

from __future__ import annotations

import urllib.parse

from starlette.types import ASGIApp, Receive, Scope, Send


class PublicURL:
    def __init__(self, app: ASGIApp, public_url: str | None) -> None:
        self.app = app
        self.origin: tuple[str, bytes, tuple[str, int], str] | None = None
        if public_url:
            parts = urllib.parse.urlsplit(public_url)
            scheme = parts.scheme
            port = parts.port or (443 if scheme == "https" else 80)
            host = parts.netloc.rpartition("@")[2]
            self.origin = (
                scheme,
                host.encode("latin-1"),
                (parts.hostname or "", port),
                parts.path.rstrip("/"),
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.origin is None or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scheme, host, server, prefix = self.origin
        headers = [(k, v) for k, v in scope["headers"] if k != b"host"]
        headers.append((b"host", host))
        scope = dict(scope, scheme=scheme, server=server, headers=headers)
        if prefix:
            path: str = scope["path"]
            if not path.startswith(prefix + "/") and path != prefix:
                # The proxy took the prefix off: put it back, as ASGI expects.
                scope["path"] = prefix + path
                scope["raw_path"] = None
            scope["root_path"] = prefix
        await self.app(scope, receive, send)
