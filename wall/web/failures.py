"""The catch-all: every request gets an id, and every failure the contract's answer.

Starlette hands an exception nobody handled to its ``ServerErrorMiddleware``,
which sits outside every user middleware: it answered ``text/plain "Internal
Server Error"`` without our security headers, then re-raised the exception so
that uvicorn logged a second traceback. ``RequestErrors`` sits right inside
``SecurityHeaders`` and catches first: it gives each request an id
(``X-Request-Id``), answers an unexpected exception with ``500
{"error": "internal_error", "message", "message_en", "request_id"}`` (or the
French page for a browser) and logs it once, with the id and the traceback.
Nothing reaches ``ServerErrorMiddleware`` any more.

A ``WallError`` raised by a middleware below (outside the routes' own
handler) gets its usual answer. A client that went away before its request
was read is one log line, without a traceback: 4,000 slow clients giving up
made 4,000 tracebacks.
"""

from __future__ import annotations

import logging
import secrets

from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wall import logs
from wall.errors import InternalError, WallError
from wall.web.inputs import InvalidText, database_refused_text
from wall.web.responses import error_response, render, wants_json

REQUEST_ID_HEADER = b"x-request-id"

log = logging.getLogger("wall.web")


def new_request_id() -> str:
    return secrets.token_hex(8)


def request_id(request: Request) -> str:
    """The id ``RequestErrors`` gave this request (also in its ``X-Request-Id``)."""
    return str(request.scope.get("state", {}).get("request_id", ""))


def internal_error_response(request: Request, rid: str) -> Response:
    error = InternalError()
    if wants_json(request):
        return JSONResponse({**error.to_json(), "request_id": rid}, status_code=error.status)
    message = f"{error.message} (Référence : {rid})"
    try:
        return render(request, "message.html", {"title": "Oups!", "message": message}, 500)
    except Exception:  # the templates themselves may be what failed
        log.exception("the error page could not be rendered [request %s]", rid)
        page = f'<!doctype html><html lang="fr-CA"><title>Oups!</title><p>{message}</p></html>'
        return HTMLResponse(page, status_code=500)


class RequestErrors:
    """Names every HTTP request and turns any exception below into a proper answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = new_request_id()
        scope.setdefault("state", {})["request_id"] = rid
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                message["headers"] = [*headers, (REQUEST_ID_HEADER, rid.encode())]
            await send(message)

        request = Request(scope)
        bound = logs.request_id.set(rid)  # the request's log lines carry its id
        try:
            try:
                await self.app(scope, receive, send_with_id)
            except ClientDisconnect:
                log.info(
                    "client went away before its request was read: %s %s [request %s]",
                    scope["method"],
                    scope["path"],
                    rid,
                )
            except WallError as exc:
                if not started:
                    await error_response(request, exc)(scope, receive, send_with_id)
            except Exception as exc:
                if database_refused_text(exc):
                    # An edge check is missing somewhere: still the client's mistake, not a 500.
                    log.warning(
                        "text refused by the database: %s %s [request %s]",
                        scope["method"],
                        scope["path"],
                        rid,
                    )
                    if not started:
                        await error_response(request, InvalidText())(scope, receive, send_with_id)
                    return
                log.exception(
                    "unexpected error: %s %s [request %s]", scope["method"], scope["path"], rid
                )
                if not started:
                    await internal_error_response(request, rid)(scope, receive, send_with_id)
        finally:
            logs.request_id.reset(bound)
