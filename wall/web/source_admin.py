"""Admins manage the sources live: add, change, pause and remove them, and set credentials.

``POST /api/moderation/sources`` adds a source, ``PATCH
/api/moderation/sources/{name}`` changes some of its settings, its
credentials or ``paused``, and ``DELETE`` removes it. The pollers of every
process pick the change up within ``WALL_SOURCES_REFRESH_SECONDS``; nothing
restarts. Credentials go in and never come out: answers name which are set.
The rules live in ``wall.sources.catalogue``; this module only speaks HTTP.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wall.accounts import Actor
from wall.errors import Conflict, InvalidField, NotFound
from wall.sources.catalogue import InvalidSource, SourceExists, UnknownSource
from wall.sources.toml import CREDENTIALS
from wall.state import app_state
from wall.web.session import audit_client, read_json, require_moderator

# What the admin is told for a field at fault, French then English.
FIELD_MESSAGES = {
    "name": (
        "Donnez un nom à la source (100 caractères au plus).",
        "Give the source a name (at most 100 characters).",
    ),
    "type": (
        "Choisissez un type de source connu (mastodon, pixelfed, bluesky, instagram, flickr…).",
        "Choose a known source type (mastodon, pixelfed, bluesky, instagram, flickr…).",
    ),
    "base_url": (
        "L'adresse du serveur doit commencer par https:// (ou http://).",
        "The server address must start with https:// (or http://).",
    ),
    "interval": (
        "L'intervalle est un nombre de secondes, 1 ou plus.",
        "The interval is a number of seconds, 1 or more.",
    ),
    "recheck_per_minute": (
        "Les vérifications par minute sont un nombre, 0 ou plus.",
        "Re-checks per minute is a number, 0 or more.",
    ),
    "hashtags": (
        "Donnez au moins un mot-clic valide.",
        "Give at least one valid hashtag.",
    ),
    "stream_url": (
        "Le flux en temps réel (Bluesky seulement) est une adresse wss:// ou vide.",
        "The real-time stream (Bluesky only) is a wss:// address, or empty.",
    ),
    "paused": ("« paused » vaut true ou false.", "“paused” is true or false."),
}
CREDENTIAL_MESSAGE = (
    "Cette source a besoin de cet identifiant ({field}), non vide.",
    "This source needs this credential ({field}), not empty.",
)
OTHER_MESSAGE = ("Champ inconnu ou invalide : {field}.", "Unknown or invalid field: {field}.")


def _invalid(exc: InvalidSource) -> InvalidField:
    if exc.field in FIELD_MESSAGES:
        french, english = FIELD_MESSAGES[exc.field]
    elif exc.field in CREDENTIALS:
        french, english = CREDENTIAL_MESSAGE
    else:
        french, english = OTHER_MESSAGE
    return InvalidField(
        french.format(field=exc.field),
        code="invalid_source",
        message_en=english.format(field=exc.field),
    )


def _unknown(name: str) -> NotFound:
    return NotFound(
        "Cette source n'existe pas.",
        code="source_not_found",
        message_en=f"There is no source named {name!r}.",
    )


async def add_source(request: Request) -> Response:
    who = await require_moderator(request, role="admin")
    data = await read_json(request)
    actor = Actor(who.moderator, client=audit_client(request))
    catalogue = app_state(request)["sources"]
    try:
        async with app_state(request)["db"].writing() as session:
            entry = await catalogue.add(session, data, actor)
    except InvalidSource as exc:
        raise _invalid(exc) from None
    except SourceExists:
        raise Conflict(
            "Une source porte déjà ce nom.",
            code="source_exists",
            message_en="A source already has this name.",
        ) from None
    return JSONResponse(entry.to_json(), status_code=201)


async def change_source(request: Request) -> Response:
    who = await require_moderator(request, role="admin")
    data = await read_json(request)
    name = request.path_params["name"]
    actor = Actor(who.moderator, client=audit_client(request))
    catalogue = app_state(request)["sources"]
    try:
        async with app_state(request)["db"].writing() as session:
            entry = await catalogue.change(session, name, data, actor)
    except InvalidSource as exc:
        raise _invalid(exc) from None
    except UnknownSource:
        raise _unknown(name) from None
    return JSONResponse(entry.to_json())


async def remove_source(request: Request) -> Response:
    who = await require_moderator(request, role="admin")
    name = request.path_params["name"]
    actor = Actor(who.moderator, client=audit_client(request))
    try:
        async with app_state(request)["db"].writing() as session:
            await app_state(request)["sources"].remove(session, name, actor)
    except UnknownSource:
        raise _unknown(name) from None
    return Response(status_code=204)


routes = [
    Route("/api/moderation/sources", add_source, methods=["POST"], name="moderation_source_add"),
    Route(
        "/api/moderation/sources/{name}",
        change_source,
        methods=["PATCH"],
        name="moderation_source_change",
    ),
    Route(
        "/api/moderation/sources/{name}",
        remove_source,
        methods=["DELETE"],
        name="moderation_source_remove",
    ),
]
