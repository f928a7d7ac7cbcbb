"""The moderators' queue: the page, listing, decisions, undo, claims, live events, stats.

``routes`` also gathers the sign-in, admin and removal-request routes, so the
app mounts the whole moderation side from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from wall import auth, events, photos
from wall.config import Settings
from wall.errors import BadRequest, InvalidField, WallError
from wall.models import Moderator, ModeratorSession, Photo
from wall.moderation import claims, flags, queue, reasons, service
from wall.moderation.states import BULK_ACTIONS, Action, Status
from wall.state import app_state
from wall.web import admin, moderation_auth, removal
from wall.web.api import SSE_HEADERS
from wall.web.inputs import InvalidText, last_event_id, refused
from wall.web.responses import render
from wall.web.session import audit_client, read_json, require_moderator, signed_in

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
MAX_EXCLUDE = 100
MAX_BEACON = 4096


def mod_photo(
    photo: Photo, holder: claims.Holder | None, decision: dict[str, Any] | None = None
) -> dict[str, Any]:
    data = photos.mod_photo_json(photo)
    data["claimed_by"] = holder.email if holder else None
    data["claim_expires_at"] = photos.iso(holder.expires_at) if holder else None
    data["flag_labels"] = [flags.flag_json(code) for code in data["flags"]]
    media = photo.media or {}
    # The unblurred original exists only when faces were blurred for the public.
    data["faces_blurred"] = "display_private" in media
    data["public_url"] = photos.media_url(media["display"]["name"]) if media else None
    data["last_decision"] = decision
    return data


def claim_ttl(request: Request) -> dt.timedelta:
    settings: Settings = app_state(request)["settings"]
    return dt.timedelta(seconds=settings.claim_idle_seconds)


async def moderation_page(request: Request) -> Response:
    who = await signed_in(request)
    if who is None:
        return RedirectResponse(request.url_for("login"), status_code=303)
    settings: Settings = app_state(request)["settings"]
    return render(
        request,
        "moderation.html",
        {
            "csrf_token": who.session.csrf_token,
            "email": who.moderator.email,
            "role": who.moderator.role,
            "regions": settings.regions,
            "max_pinned": settings.max_pinned,
            "claim_idle_seconds": int(settings.claim_idle_seconds),
            "flag_table": flags.FLAG_LABELS,
            "reasons": [
                (code, reasons.SHORT_LABELS[code], label)
                for code, label in reasons.REJECTION_REASONS.items()
            ],
            # Pairs, not an object: ``tojson`` sorts keys, and the order is the keys 1 to 5.
            "reason_data": list(reasons.REJECTION_REASONS.items()),
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
    async with app_state(request)["db"].reading() as session:
        paused_at = await queue.paused_since(session)
        rows, next_cursor = await queue.page(
            session, status, limit, params.get("before"), filters, paused_at
        )
        total = await queue.count(session, status, filters, paused_at)
        held = await claims.holders(session, [p.id for p in rows])
        decided = (
            await queue.latest_decisions(session, [p.id for p in rows])
            if status is not Status.PENDING
            else {}
        )
    return JSONResponse(
        {
            "photos": [mod_photo(p, held.get(p.id), decided.get(p.id)) for p in rows],
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
    """Decide on a photo; with ``take_next``, also claim the next free one (``next_photo``).

    Taking the next photo in the decision's transaction saves the page a
    second round trip per key press; the query string takes the listing's
    filters for it.
    """
    who = await require_moderator(request)
    data = await read_json(request)
    action = _moderator_action(data.get("action"))
    reason = _reason(data)
    reason_code = reasons.check(data.get("reason_code"), rejecting=action is Action.REJECT)
    take_next = data.get("take_next", False)
    if not isinstance(take_next, bool):
        raise InvalidField("take_next vaut true ou false.", code="invalid_take_next")
    filters = queue.Filters.from_params(request.query_params) if take_next else queue.Filters()
    settings: Settings = app_state(request)["settings"]
    following: dict[str, Any] | None = None
    async with app_state(request)["db"].writing() as session:
        photo = await service.decide(
            session,
            request.path_params["photo_id"],
            action,
            moderator=who.moderator,
            reason=reason,
            reason_code=reason_code,
            client=audit_client(request),
            max_pinned=settings.max_pinned,
        )
        if take_next:
            following = await _claim_next(request, session, who.moderator, filters, ())
    body = mod_photo(photo, None)
    if take_next:
        body["next_photo"] = following
    return JSONResponse(body)


async def _claim_next(
    request: Request,
    session: Any,
    moderator: Moderator,
    filters: queue.Filters,
    exclude: tuple[str, ...],
) -> dict[str, Any] | None:
    paused_at = await queue.paused_since(session)
    conditions = queue.visible_pending(filters, paused_at)
    photo = await claims.claim_next(session, moderator, claim_ttl(request), conditions, exclude)
    if photo is None:
        return None
    held = await claims.holders(session, [photo.id])
    return mod_photo(photo, held.get(photo.id))


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
    # Refused once for the whole selection, not once per photo.
    reason_code = reasons.check(data.get("reason_code"), rejecting=action is Action.REJECT)
    results: list[dict[str, Any]] = []
    for photo_id in dict.fromkeys(ids):
        try:
            async with app_state(request)["db"].writing() as session:
                photo = await service.decide(
                    session,
                    photo_id,
                    action,
                    moderator=who.moderator,
                    reason=reason,
                    reason_code=reason_code,
                    client=audit_client(request),
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
    async with app_state(request)["db"].writing() as session:
        photo = await service.undo(session, who.moderator, client=audit_client(request))
    return JSONResponse(mod_photo(photo, None))


async def claim(request: Request) -> Response:
    who = await require_moderator(request)
    async with app_state(request)["db"].writing() as session:
        holder = await claims.claim(
            session, request.path_params["photo_id"], who.moderator, claim_ttl(request)
        )
    return JSONResponse(
        {
            "id": request.path_params["photo_id"],
            "claimed_by": holder.email,
            "expires_at": photos.iso(holder.expires_at),
        }
    )


def _exclude(data: dict[str, Any]) -> tuple[str, ...]:
    raw = data.get("exclude", [])
    if (
        not isinstance(raw, list)
        or len(raw) > MAX_EXCLUDE
        or not all(isinstance(i, str) and len(i) <= 64 for i in raw)
    ):
        raise InvalidField(
            f"exclude est une liste d'au plus {MAX_EXCLUDE} identifiants.", code="invalid_exclude"
        )
    return tuple(raw)


async def next_photo(request: Request) -> Response:
    """Claim and return the oldest pending photo nobody else holds (``photo`` null if none).

    The query string takes the listing's filters (``q``, ``source``, ``region``,
    ``flag``); the body may list photos to pass over (``exclude``).
    """
    who = await require_moderator(request)
    data = await read_json(request)
    exclude = _exclude(data)
    filters = queue.Filters.from_params(request.query_params)
    async with app_state(request)["db"].writing() as session:
        photo = await _claim_next(request, session, who.moderator, filters, exclude)
    return JSONResponse({"photo": photo})


async def _beacon_fields(request: Request) -> dict[str, str]:
    """The fields of a form-encoded body (what ``navigator.sendBeacon`` sends)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "text/plain")):
        return {}
    body = await request.body()
    if len(body) > MAX_BEACON:
        raise BadRequest("Le corps de la requête est trop long.", code="body_too_large")
    try:
        parsed = parse_qs(body.decode("utf-8", "replace"), max_num_fields=4)
    except ValueError:
        raise BadRequest("Formulaire mal formé.", code="malformed_form") from None
    fields = {key: values[0] for key, values in parsed.items() if values}
    if any(refused(key) or refused(value) for key, value in fields.items()):
        raise InvalidText()
    return fields


async def release(request: Request) -> Response:
    """Give back the moderator's claim (``photo_id``: only that one).

    Also answers the beacon a closing tab sends: a form body carrying
    ``csrf_token`` (a beacon cannot set the header) and ``photo_id``.
    """
    fields = await _beacon_fields(request)
    who = await require_moderator(request, csrf_token=fields.get("csrf_token"))
    only = fields.get("photo_id") or request.query_params.get("photo_id") or None
    async with app_state(request)["db"].writing() as session:
        released = await claims.release_all(session, who.moderator, only=only)
    return JSONResponse({"released": True, "claims_released": released})


async def _while_signed_in(
    request: Request, session_id: str, body: AsyncIterator[bytes]
) -> AsyncIterator[bytes]:
    """Pass the stream on while its session lives: a logout or a disabled account ends it."""
    try:
        async for chunk in body:
            async with app_state(request)["db"].reading() as session:
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
        app_state(request)["hub"],
        last_event_id(request),
        app_state(request)["settings"].heartbeat_seconds,
        QUEUE_EVENT_TYPES,
    )
    return StreamingResponse(
        _while_signed_in(request, who.session.id, body),
        media_type="text/event-stream",
        headers=SSE_HEADERS,
    )


async def stats(request: Request) -> Response:
    await require_moderator(request)
    async with app_state(request)["db"].reading() as session:
        payload = await queue.stats(session)
    return JSONResponse(payload)


async def intake(request: Request) -> Response:
    """Pause or resume intake (admins): while paused, new photos wait unseen."""
    who = await require_moderator(request, role="admin")
    data = await read_json(request)
    paused = data.get("paused")
    if not isinstance(paused, bool):
        raise InvalidField("paused vaut true ou false.", code="invalid_paused")
    async with app_state(request)["db"].writing() as session:
        since = await queue.set_paused(session, paused, who.moderator, audit_client(request))
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
    Route("/api/moderation/next", next_photo, methods=["POST"], name="moderation_next"),
    Route("/api/moderation/undo", undo, methods=["POST"], name="moderation_undo"),
    Route("/api/moderation/events", queue_events, name="moderation_events"),
    Route("/api/moderation/stats", stats, name="moderation_stats"),
    Route("/api/moderation/intake", intake, methods=["POST"], name="moderation_intake"),
    *admin.routes,
    *removal.routes,
]
