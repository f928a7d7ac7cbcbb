"""The moderators' queue: the page, listing, decisions, undo, claims, live events, stats.

``routes`` also gathers the sign-in, admin and removal-request routes, so the
app mounts the whole moderation side from here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from wall import auth, events, photos
from wall.config import Settings
from wall.errors import BadRequest, InvalidField, WallError
from wall.models import ModeratorSession, Photo
from wall.moderation import claims, queue, rules, service
from wall.moderation.states import BULK_ACTIONS, Action, Status
from wall.web import admin, moderation_auth, removal
from wall.web.api import SSE_HEADERS
from wall.web.inputs import last_event_id
from wall.web.responses import render
from wall.web.session import client_ip, read_json, require_moderator, signed_in

# The moderators' own live stream; the public wall never sees these types.
QUEUE_EVENT_TYPES = frozenset(
    {
        "queue.submitted",
        "queue.decided",
        "queue.claimed",
        "queue.released",
        "queue.removal_requested",
        "queue.intake",
    }
)
MAX_BULK = 100


def mod_photo(photo: Photo, holder: claims.Holder | None) -> dict[str, Any]:
    data = photos.mod_photo_json(photo)
    data["claimed_by"] = holder.email if holder else None
    data["claim_expires_at"] = photos.iso(holder.expires_at) if holder else None
    return data


async def moderation_page(request: Request) -> Response:
    who = await signed_in(request)
    if who is None:
        return RedirectResponse(request.url_for("login"), status_code=303)
    settings: Settings = request.state.settings
    return render(
        request,
        "moderation.html",
        {
            "csrf_token": who.session.csrf_token,
            "email": who.moderator.email,
            "role": who.moderator.role,
            "regions": settings.regions,
            "max_pinned": settings.max_pinned,
            "flag_names": rules.FLAG_NAMES_FR,
        },
    )


def _status_param(raw: str | None) -> Status:
    try:
        return Status(raw or "pending")
    except ValueError:
        raise BadRequest("Statut inconnu.", code="bad_status") from None


async def list_photos(request: Request) -> Response:
    await require_moderator(request)
    params = request.query_params
    status = _status_param(params.get("status"))
    limit = photos.parse_limit(params.get("limit"))
    filters = queue.Filters.from_params(params)
    async with request.state.db.reading() as session:
        paused_at = await queue.paused_since(session)
        rows, next_cursor = await queue.page(
            session, status, limit, params.get("before"), filters, paused_at
        )
        total = await queue.count(session, status, filters, paused_at)
        held = await claims.holders(session, [p.id for p in rows])
    return JSONResponse(
        {
            "photos": [mod_photo(p, held.get(p.id)) for p in rows],
            "next": next_cursor,
            "count": total,
            "intake_paused_since": photos.iso(paused_at),
        }
    )


def _reason(data: dict[str, Any]) -> str | None:
    reason = data.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise InvalidField("La raison doit être du texte.", code="invalid_reason")
    return reason or None


def _moderator_action(raw: object) -> Action:
    action = service.parse_action(raw)
    if action is Action.WITHDRAW:
        raise InvalidField(
            "Action réservée à la personne qui a envoyé la photo.", code="invalid_action"
        )
    if action is Action.ERASE_ON_REQUEST:
        raise InvalidField(
            "Cette action passe par la demande de retrait (« removed »).", code="invalid_action"
        )
    return action


async def decision(request: Request) -> Response:
    who = await require_moderator(request)
    data = await read_json(request)
    action = _moderator_action(data.get("action"))
    reason = _reason(data)
    settings: Settings = request.state.settings
    async with request.state.db.writing() as session:
        photo = await service.decide(
            session,
            request.path_params["photo_id"],
            action,
            moderator=who.moderator,
            reason=reason,
            client=client_ip(request),
            max_pinned=settings.max_pinned,
        )
    return JSONResponse(mod_photo(photo, None))


async def bulk_decision(request: Request) -> Response:
    """Approve or reject a selection; each photo is decided on its own, with its own answer."""
    who = await require_moderator(request)
    data = await read_json(request)
    action = _moderator_action(data.get("action"))
    if action not in BULK_ACTIONS:
        raise InvalidField(
            "En lot : seulement « approve » ou « reject ».", code="invalid_bulk_action"
        )
    ids = data.get("ids")
    if (
        not isinstance(ids, list)
        or not ids
        or len(ids) > MAX_BULK
        or not all(isinstance(i, str) for i in ids)
    ):
        raise InvalidField(f"ids est une liste de 1 à {MAX_BULK} identifiants.", code="invalid_ids")
    reason = _reason(data)
    results: list[dict[str, Any]] = []
    for photo_id in dict.fromkeys(ids):
        try:
            async with request.state.db.writing() as session:
                photo = await service.decide(
                    session,
                    photo_id,
                    action,
                    moderator=who.moderator,
                    reason=reason,
                    client=client_ip(request),
                )
            results.append({"id": photo_id, "ok": True, "status": photo.status})
        except WallError as exc:
            results.append(
                {
                    "id": photo_id,
                    "ok": False,
                    "http_status": exc.status,
                    "error": exc.code,
                    "message": exc.message,
                }
            )
    return JSONResponse({"results": results, "decided": sum(1 for r in results if r["ok"])})


async def undo(request: Request) -> Response:
    who = await require_moderator(request)
    async with request.state.db.writing() as session:
        photo = await service.undo(session, who.moderator, client=client_ip(request))
    return JSONResponse(mod_photo(photo, None))


async def claim(request: Request) -> Response:
    who = await require_moderator(request)
    async with request.state.db.writing() as session:
        holder = await claims.claim(session, request.path_params["photo_id"], who.moderator)
    return JSONResponse(
        {
            "id": request.path_params["photo_id"],
            "claimed_by": holder.email,
            "expires_at": photos.iso(holder.expires_at),
        }
    )


async def release(request: Request) -> Response:
    who = await require_moderator(request)
    async with request.state.db.writing() as session:
        await claims.release_all(session, who.moderator)
    return JSONResponse({"released": True})


async def _while_signed_in(
    request: Request, session_id: str, body: AsyncIterator[bytes]
) -> AsyncIterator[bytes]:
    """Pass the stream on while its session lives: a logout or a disabled account ends it."""
    try:
        async for chunk in body:
            async with request.state.db.reading() as session:
                row = await session.get(ModeratorSession, session_id)
                alive = row is not None and await auth.session_alive(session, row)
            if not alive:
                return
            yield chunk
    finally:
        await body.aclose()  # type: ignore[attr-defined]


async def queue_events(request: Request) -> Response:
    """The moderators' live stream: new pending photos, decisions, claims, requests."""
    who = await require_moderator(request)
    body = events.stream(
        request.state.hub,
        last_event_id(request),
        request.state.settings.heartbeat_seconds,
        QUEUE_EVENT_TYPES,
    )
    return StreamingResponse(
        _while_signed_in(request, who.session.id, body),
        media_type="text/event-stream",
        headers=SSE_HEADERS,
    )


async def stats(request: Request) -> Response:
    await require_moderator(request)
    async with request.state.db.reading() as session:
        payload = await queue.stats(session)
    return JSONResponse(payload)


async def intake(request: Request) -> Response:
    """Pause or resume intake (admins): while paused, new photos wait unseen."""
    who = await require_moderator(request, role="admin")
    data = await read_json(request)
    paused = data.get("paused")
    if not isinstance(paused, bool):
        raise InvalidField("paused vaut true ou false.", code="invalid_paused")
    async with request.state.db.writing() as session:
        since = await queue.set_paused(session, paused, who.moderator, client_ip(request))
    return JSONResponse({"paused": since is not None, "paused_since": photos.iso(since)})


routes = [
    *moderation_auth.routes,
    Route("/moderation", moderation_page, name="moderation_page"),
    Route("/api/moderation/photos", list_photos, name="moderation_photos"),
    Route(
        "/api/moderation/photos/bulk",
        bulk_decision,
        methods=["POST"],
        name="moderation_bulk",
    ),
    Route(
        "/api/moderation/photos/{photo_id}/decision",
        decision,
        methods=["POST"],
        name="moderation_decision",
    ),
    Route(
        "/api/moderation/photos/{photo_id}/claim",
        claim,
        methods=["POST"],
        name="moderation_claim",
    ),
    Route("/api/moderation/claims/release", release, methods=["POST"], name="moderation_release"),
    Route("/api/moderation/undo", undo, methods=["POST"], name="moderation_undo"),
    Route("/api/moderation/events", queue_events, name="moderation_events"),
    Route("/api/moderation/stats", stats, name="moderation_stats"),
    Route("/api/moderation/intake", intake, methods=["POST"], name="moderation_intake"),
    *admin.routes,
    *removal.routes,
]
