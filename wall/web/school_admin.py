"""Admins' routes for school invites: create (the link is shown once), list, revoke.

The work is ``wall.school_invites``, shared with ``wall school add|list|revoke``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wall import school_invites
from wall.config import Settings
from wall.errors import NotFound
from wall.models import utcnow
from wall.state import app_state
from wall.web.inputs import parse_id
from wall.web.session import audit_client, read_json, require_moderator


async def list_invites(request: Request) -> Response:
    await require_moderator(request, role="admin")
    async with app_state(request)["db"].reading() as session:
        listed = await school_invites.list_all(session)
    now = utcnow()
    return JSONResponse({"invites": [school_invites.invite_json(i, now) for i in listed]})


async def add_invite(request: Request) -> Response:
    who = await require_moderator(request, role="admin")
    settings: Settings = app_state(request)["settings"]
    data = await read_json(request)
    school = school_invites.clean_school(data.get("school"))
    region = school_invites.clean_region(data.get("region"), settings.regions)
    days = school_invites.clean_whole(
        data.get("days", school_invites.DEFAULT_DAYS),
        1,
        school_invites.MAX_DAYS,
        "invalid_days",
        "Durée en jours",
    )
    limit = school_invites.clean_whole(
        data.get("upload_limit", school_invites.DEFAULT_UPLOAD_LIMIT),
        1,
        school_invites.MAX_UPLOAD_LIMIT,
        "invalid_upload_limit",
        "Nombre de photos",
    )
    async with app_state(request)["db"].writing() as session:
        created = await school_invites.create(
            session,
            app_state(request)["secret_key"],
            school=school,
            region=region,
            days=days,
            upload_limit=limit,
            actor=who.moderator,
            client=audit_client(request),
        )
    body = school_invites.invite_json(school_invites.Listed(created.invite, 0), utcnow())
    # The only time the link exists outside the teacher's hands: it is not stored.
    body["link"] = str(request.url_for("class_upload_page", token=created.token))
    return JSONResponse(body, status_code=201)


async def revoke_invite(request: Request) -> Response:
    who = await require_moderator(request, role="admin")
    invite_id = parse_id(request.path_params["invite_id"])
    if invite_id is None:
        raise NotFound("Ce lien n'existe pas.", code="invite_not_found")
    async with app_state(request)["db"].writing() as session:
        invite = await school_invites.revoke(
            session, invite_id, actor=who.moderator, client=audit_client(request)
        )
        listed = school_invites.Listed(
            invite, await school_invites.uploads_through(session, invite.id)
        )
    return JSONResponse(school_invites.invite_json(listed, utcnow()))


routes = [
    Route("/api/moderation/schools", list_invites, name="school_invites"),
    Route("/api/moderation/schools", add_invite, methods=["POST"], name="school_invite_add"),
    Route(
        "/api/moderation/schools/{invite_id}/revoke",
        revoke_invite,
        methods=["POST"],
        name="school_invite_revoke",
    ),
]
