"""``GET /metrics`` and the middleware that times every request.

The figures are described in ``wall.metrics``. With ``WALL_METRICS_TOKEN``
set, a scrape needs ``Authorization: Bearer <token>``; with
``WALL_METRICS_NETWORKS``, a client address in those networks; with both,
either one.

Latency is labelled by the route's template (``/manage/{token}``), never by
the raw path, so no secret of a path reaches a label and the number of
series stays fixed. It is the time to the answer's first byte: an event
stream counts until it opens, not for the hours it stays open.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wall.config import Settings
from wall.errors import Forbidden, Unauthorized
from wall.metrics import CONTENT_TYPE, UNMATCHED_ROUTE, Metrics
from wall.state import app_state
from wall.web.responses import ERROR_CODE_KEY

UPLOAD_ROUTE = "upload"
ERROR_BODY_LIMIT = 4096
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class MetricsUnauthorized(Unauthorized):
    code = "metrics_token_required"
    message = "Jeton requis pour /metrics (Authorization: Bearer)."
    message_en = "A token is required for /metrics (Authorization: Bearer)."


class MetricsForbidden(Forbidden):
    code = "metrics_network_refused"
    message = "Cette adresse n'a pas accès à /metrics."
    message_en = "This address may not read /metrics."


def _bears_token(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def _from_network(request: Request, networks: tuple[str, ...]) -> bool:
    """The client's address (as uvicorn gives it, after trusted proxies' headers)."""
    try:
        client = ipaddress.ip_address(request.client.host if request.client else "")
    except ValueError:
        return False
    return any(client in ipaddress.ip_network(net, strict=False) for net in networks)


def check_access(request: Request, settings: Settings) -> None:
    """Open without a token or networks; otherwise the token or an allowed network."""
    token, networks = settings.metrics_token, settings.metrics_networks
    if token is None and not networks:
        return
    if token is not None and _bears_token(request, token):
        return
    if networks and _from_network(request, networks):
        return
    raise MetricsUnauthorized() if token is not None else MetricsForbidden()


async def metrics(request: Request) -> Response:
    state = app_state(request)
    check_access(request, state["settings"])
    async with state["db"].reading() as session:
        body = await state["metrics"].scrape(session)
    return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})


def method_label(scope: Scope) -> str:
    """The method, or ``other``: a client may send any token as a method."""
    method = str(scope["method"])
    return method if method in KNOWN_METHODS else "other"


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED_ROUTE


class RequestMetrics:
    """Times each HTTP request by route template, and counts uploads by outcome."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 0
        json_error = False
        body = bytearray()

        async def timed_send(message: Message) -> None:
            nonlocal status, json_error
            if message["type"] == "http.response.start":
                status = int(message["status"])
                self.metrics.latency.labels(method_label(scope), route_template(scope)).observe(
                    time.perf_counter() - began
                )
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                json_error = status >= 400 and content_type.startswith(b"application/json")
            elif json_error and len(body) < ERROR_BODY_LIMIT:
                body.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            route = scope.get("route")
            if getattr(route, "name", None) == UPLOAD_ROUTE and scope["method"] == "POST":
                self.metrics.uploads.labels(upload_outcome(scope, status, bytes(body))).inc()


def upload_outcome(scope: Scope, status: int, json_body: bytes) -> str:
    """``accepted``, or the answer's error code (the upload route answers its own errors)."""
    if 0 < status < 400:
        return "accepted"
    code = scope.get(ERROR_CODE_KEY)
    if code is None and json_body:
        try:
            code = json.loads(json_body).get("error")
        except (ValueError, AttributeError):
            code = None
    return code if isinstance(code, str) and code.isidentifier() else f"http_{status or 500}"


routes = [Route("/metrics", metrics, name="metrics")]
