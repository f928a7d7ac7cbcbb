"""The public JSON API and the live event stream."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from wall import events, photos
from wall.models import Photo
from wall.moderation.states import Status
from wall.state import app_state
from wall.wall_filter import WallFilter
from wall.web import answers
from wall.web.inputs import last_event_id

SSE_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # nginx: do not buffer the stream
}


def wall_filter(request: Request) -> WallFilter:
    """The ``?region=&school=&source=`` filter of a wall request."""
    return WallFilter.from_query(request.query_params, app_state(request)["settings"].regions)


async def wall_photos(request: Request) -> Response:
    chosen = wall_filter(request)
    # ?pinned=1: only the pinned photos (a wall keeps them in its rotation).
    pinned_only = request.query_params.get("pinned") == "1"
    limit = photos.parse_limit(request.query_params.get("limit"))
    before = request.query_params.get("before")
    if before is not None:
        photos.decode_cursor(before)  # a bad cursor is refused before the cache
    hub: events.EventHub = app_state(request)["hub"]
    last_event_id = hub.last_id

    async def compute() -> answers.Answer:
        async with app_state(request)["db"].reading() as session:
            where = chosen.conditions()
            if pinned_only:
                where.append(Photo.pinned.is_(True))
            rows, next_cursor = await photos.page_by_status(
                session, Status.APPROVED, limit, before, where
            )
            total = await photos.count_by_status(session, Status.APPROVED, where)
        payload: dict[str, object] = {
            "photos": [photos.photo_json(photo) for photo in rows],
            "next": next_cursor,
            "count": total,
            # Where a fresh client should start its event stream (?after=…).
            "last_event_id": last_event_id,
        }
        return answers.encode(payload, volatile=frozenset({"last_event_id"}))

    cache: answers.AnswerCache = app_state(request)["answers"]
    key = f"photos:{limit}:{before or ''}:{chosen.cache_key()}:{int(pinned_only)}"
    return answers.respond(request, await cache.get_or_compute(key, last_event_id, compute))


async def wall_events(request: Request) -> Response:
    body = events.stream(
        app_state(request)["hub"],
        last_event_id(request),
        app_state(request)["settings"].heartbeat_seconds,
    )
    return StreamingResponse(body, media_type="text/event-stream", headers=SSE_HEADERS)


async def wall_stats(request: Request) -> Response:
    chosen = wall_filter(request)

    async def compute() -> answers.Answer:
        async with app_state(request)["db"].reading() as session:
            return answers.encode(await photos.stats(session, chosen.conditions()))

    cache: answers.AnswerCache = app_state(request)["answers"]
    hub: events.EventHub = app_state(request)["hub"]
    return answers.respond(
        request, await cache.get_or_compute(f"stats:{chosen.cache_key()}", hub.last_id, compute)
    )


routes = [
    Route("/api/wall/photos", wall_photos, name="wall_photos"),
    Route("/api/wall/events", wall_events, name="wall_events"),
    Route("/api/wall/stats", wall_stats, name="wall_stats"),
]
