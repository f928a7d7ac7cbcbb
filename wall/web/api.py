"""The public JSON API and the live event stream."""

from __future__ import annotations

import hashlib
import json

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from wall import events, photos
from wall.errors import BadRequest
from wall.moderation.states import Status

SSE_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # nginx: do not buffer the stream
}


def json_with_etag(
    request: Request, payload: dict[str, object], volatile: frozenset[str] = frozenset()
) -> Response:
    """A JSON answer with an ETag; ``304`` when the client already has it.

    Keys in ``volatile`` are sent but left out of the tag: a client holding an
    older value of them still holds a valid answer.
    """
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    stable = {key: value for key, value in payload.items() if key not in volatile}
    digest = hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()
    etag = f'"{digest[:32]}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


async def wall_photos(request: Request) -> Response:
    limit = photos.parse_limit(request.query_params.get("limit"))
    before = request.query_params.get("before")
    hub: events.EventHub = request.state.hub
    last_event_id = hub.last_id
    async with request.state.db.reading() as session:
        rows, next_cursor = await photos.page_by_status(session, Status.APPROVED, limit, before)
        total = await photos.count_by_status(session, Status.APPROVED)
    return json_with_etag(
        request,
        {
            "photos": [photos.photo_json(photo) for photo in rows],
            "next": next_cursor,
            "count": total,
            # Where a fresh client should start its event stream (?after=…).
            "last_event_id": last_event_id,
        },
        volatile=frozenset({"last_event_id"}),
    )


def _after_id(request: Request) -> int | None:
    raw = request.headers.get("last-event-id") or request.query_params.get("after")
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest("Last-Event-ID doit être un nombre.", code="bad_last_event_id") from None
    if value < 0:
        raise BadRequest("Last-Event-ID doit être positif.", code="bad_last_event_id")
    return value


async def wall_events(request: Request) -> Response:
    after_id = _after_id(request)
    body = events.stream(request.state.hub, after_id, request.state.settings.heartbeat_seconds)
    return StreamingResponse(body, media_type="text/event-stream", headers=SSE_HEADERS)


async def wall_stats(request: Request) -> Response:
    async with request.state.db.reading() as session:
        payload = await photos.stats(session)
    return json_with_etag(request, payload)


routes = [
    Route("/api/wall/photos", wall_photos, name="wall_photos"),
    Route("/api/wall/events", wall_events, name="wall_events"),
    Route("/api/wall/stats", wall_stats, name="wall_stats"),
]
