"""The public "ask for removal" form and the moderators' list of requests."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wall import french, photos
from wall.config import Settings
from wall.errors import InvalidField, NotFound, TooManyRequests
from wall.moderation import removals
from wall.state import app_state
from wall.web.inputs import check_form, parse_id, strip_refused
from wall.web.responses import render
from wall.web.session import audit_client, client_ip, read_json, require_moderator


async def removal_form(request: Request) -> Response:
    settings: Settings = app_state(request)["settings"]
    context: dict[str, Any] = {
        "error": None,
        "photo_ref": request.query_params.get("photo", "")[:500],
        "delay_hours": settings.removal_delay_hours,
        "keep_until": french.long_date(settings.photos_kept_until),
    }
    context.update(description="", reason="", contact="")
    if request.method == "GET":
        return render(request, "removal_request.html", context)
    form = await request.form(max_files=0, max_fields=6, max_part_size=4096)
    reference = str(form.get("photo_ref") or "")
    description = str(form.get("description") or "")
    reason, contact = str(form.get("reason") or ""), str(form.get("contact") or "")
    client = removals.client_hash(app_state(request)["secret_key"], client_ip(request))
    try:
        check_form(form)  # a stray NUL must not lose the request: the form comes back
        async with app_state(request)["db"].writing() as session:
            await removals.create(
                session,
                reference=reference,
                description=description,
                reason=reason,
                contact=contact,
                client=client,
            )
    except (InvalidField, TooManyRequests) as exc:
        context.update(
            error=exc.message,
            photo_ref=strip_refused(reference),
            description=strip_refused(description),
            reason=strip_refused(reason),
            contact=strip_refused(contact),
        )
        response = render(request, "removal_request.html", context, status=exc.status)
        response.headers.update(exc.headers)
        return response
    return render(
        request,
        "message.html",
        {
            "title": "Demande reçue",
            "message": "Merci. L'équipe de modération examine votre demande en priorité, dans "
            f"un délai de {settings.removal_delay_hours} heures. Thank you: the moderation "
            f"team handles your request first, within {settings.removal_delay_hours} hours.",
        },
        status=201,
    )


async def list_requests(request: Request) -> Response:
    await require_moderator(request)
    status = request.query_params.get("status", "open")
    if status not in ("open", "resolved"):
        raise InvalidField("status vaut « open » ou « resolved ».", code="bad_status")
    limit = photos.parse_limit(request.query_params.get("limit"))
    async with app_state(request)["db"].reading() as session:
        rows = await removals.listing(session, open_only=status == "open", limit=limit)
    return JSONResponse({"requests": rows})


async def resolve_request(request: Request) -> Response:
    who = await require_moderator(request)
    data = await read_json(request)
    note = data.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 500):
        raise InvalidField("La note est un texte court.", code="invalid_note")
    request_id = parse_id(request.path_params["request_id"])
    if request_id is None:
        raise NotFound("Cette demande n'existe pas.", code="removal_request_not_found")
    async with app_state(request)["db"].writing() as session:
        body = await removals.resolve(
            session,
            request_id,
            str(data.get("resolution")),
            note or None,
            who.moderator,
            audit_client(request),
        )
    return JSONResponse(body)


routes = [
    Route("/removal-request", removal_form, methods=["GET", "POST"], name="removal_request"),
    Route("/api/moderation/removal-requests", list_requests, name="moderation_removal_requests"),
    Route(
        "/api/moderation/removal-requests/{request_id}/resolve",
        resolve_request,
        methods=["POST"],
        name="moderation_removal_resolve",
    ),
]
