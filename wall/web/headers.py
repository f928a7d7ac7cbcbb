"""The protective headers every response carries, errors included.

``SecurityHeaders`` is the outermost middleware, so that nothing answered
below it (the catch-all error page among them) goes out without them.

Partners embed the wall in their pages (``/embed``, or ``/`` itself):
``frame-ancestors`` of the wall's pages follows ``WALL_FRAME_ANCESTORS``
(default ``'self'``). Every other page may be framed by the wall's own site
only: the upload form and an uploader's manage link (with its delete button)
have no business inside a partner's page. The moderators' pages and API can
never be framed, whatever the setting: a framed decision button is a
clickjacking target. HSTS is sent when the request came over https (uvicorn
reads ``X-Forwarded-Proto`` from trusted proxies) or the wall's public URL is
https; ``includeSubDomains`` is left out because the wall often lives on a
school board's subdomain, beside sites the board does not control.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wall.config import Settings

BASE_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'"
)
NEVER_FRAMED = ("/moderation", "/login", "/api/moderation", "/api/auth")
# The wall and what it loads: what a partner's page may frame.
PARTNER_FRAMED = ("/embed", "/static/", "/media/", "/invite/", "/api/wall/")
HSTS = b"max-age=31536000"


def frame_ancestors(settings: Settings, path: str) -> str:
    """The sources allowed to frame the page at ``path``."""
    if path.startswith(NEVER_FRAMED):
        return "'none'"
    if path == "/" or path.startswith(PARTNER_FRAMED):
        return settings.frame_ancestors
    return "'self'" if settings.frame_ancestors != "'none'" else "'none'"


class SecurityHeaders:
    """Adds the same protective headers to every HTTP response."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.public_https = (settings.public_url or "").lower().startswith("https://")

    def headers_for(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        csp = f"{BASE_CSP}; frame-ancestors {frame_ancestors(self.settings, scope['path'])}"
        headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"content-security-policy", csp.encode()),
        ]
        if self.public_https or scope.get("scheme") == "https":
            headers.append((b"strict-transport-security", HSTS))
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers_for(scope)

        private = scope["path"].startswith(NEVER_FRAMED)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", [])) + extra
                # Moderators' pages and answers (sources, queues, accounts) are never
                # stored by a browser's disk cache or a shared proxy.
                if private and not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"private, no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
